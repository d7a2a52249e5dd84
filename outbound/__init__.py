"""Adapters for outside HTTP services that are neither AWS nor Slack (paging: PagerDuty's
Events API v2, generic webhooks). Standard library only (urllib). Like store, aws, handlers
and local, this package depends on core and on none of the others."""
