"""The containment catalog over boto3: one module per action (plan, apply, verify, undo)
and a registry that implements core.containment.catalog.Catalog."""
