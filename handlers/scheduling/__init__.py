"""How the clock's reminders, escalations and follow-ups look in Slack (no listeners)."""
