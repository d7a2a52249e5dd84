"""The HTTP side of a process: the WSGI front door (Slack's endpoint handed in by the root,
/healthz, /metrics), the SNS and EventBridge findings intake, and the server it runs on."""
