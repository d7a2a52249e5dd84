"""The `/remediate` actions over boto3 (one module per action), listed for the registry."""

REMEDIATION_ACTIONS: tuple = ()
