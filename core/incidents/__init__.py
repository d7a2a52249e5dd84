"""The incident domain: declaring (service), changing (lifecycle, roles, updates), the
timeline, action items, the postmortem, channel names, its records (model), its
configuration (config) and the storage it needs (ports)."""
