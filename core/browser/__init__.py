"""The browser view's domain side: its config, the changes a responder makes there (posted
to the incident's channel once, when Slack answers) and the health figures it shows."""
