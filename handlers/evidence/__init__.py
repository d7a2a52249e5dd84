"""Slack rendering of the evidence manifest (the `/evidence` commands themselves are the
response engine's, in handlers/containment)."""
