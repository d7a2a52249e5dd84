"""The clock: periodic sweeps (status-update reminders, SLA escalation, expiry hooks) run by
APScheduler with jobs persisted in the database, in exactly one active process at a time."""
