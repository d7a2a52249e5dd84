"""Status-update reminders: while an incident is active (detection … recovery), its
commander is reminded when no update was posted for the cadence of its severity
(`scheduling.update_reminder_minutes`). The cadence counts from the last
`/incident update` (or the declaration), so posting an update resets it; after a long
outage of the clock only the latest missed reminder is sent, not one per missed period."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.incidents.metrics import commander
from core.incidents.model import ACTIVE_PHASES, Incident
from core.scheduling.delivery import Deliverer
from core.scheduling.ports import Notices, Reminder
from core.services import Services


def due_at(incident: Incident, every: timedelta | None, now: datetime) -> datetime | None:
    """The latest reminder time that has passed for this incident, if any."""
    if every is None or incident.phase not in ACTIVE_PHASES:
        return None
    since = incident.last_update_at or incident.declared_at
    if now < since + every:
        return None
    return since + ((now - since) // every) * every


def key(incident_id: int, due: datetime) -> str:
    return f"reminder:{incident_id}:{due.astimezone(timezone.utc).isoformat()}"  # one spelling per instant


class UpdateReminders:
    """The sweep; returns how many reminders it sent."""

    name = "update-reminders"

    def __init__(self, notices: Notices, deliver: Deliverer):
        self.notices = notices
        self.deliver = deliver

    def __call__(self, services: Services) -> int:
        cfg, now = services.config.scheduling, services.clock.now()
        due = []
        for incident in services.repos.clock_queries.active_incidents():
            when = due_at(incident, cfg.reminder_every(incident.severity), now)
            if when is not None and incident.channel_id:
                due.append((incident, when))
        done = services.repos.notices.states(key(i.id, when) for i, when in due)
        sent = 0
        for incident, when in due:
            if done.get(key(incident.id, when)) == "sent":
                continue
            reminder = Reminder(incident, commander(incident), incident.last_update_at or incident.declared_at,
                                cfg.reminder_every(incident.severity), now)
            sent += self.deliver(key(incident.id, when), incident.id,
                                 lambda r=reminder: self.notices.remind(r))
        return sent
