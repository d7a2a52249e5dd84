"""Containment: requests with a plan, two-person approval, exactly-once execution, audit.

Core decides (who may request or approve, which state change is allowed, what the audit
chain holds); aws/actions implements the catalog behind the protocol in catalog.py."""
