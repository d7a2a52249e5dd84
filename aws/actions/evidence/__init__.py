"""The `/evidence` actions over boto3 (one module per action), listed for the registry."""

EVIDENCE_ACTIONS: tuple = ()
