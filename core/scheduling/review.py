"""Follow-through reminders: a postmortem not written `scheduling.postmortem_due_days`
after the incident was resolved, and action items past their due date. One reminder per
thing per day, so a forgotten review keeps coming back without flooding the channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.incidents.metrics import commander
from core.scheduling.delivery import Deliverer
from core.scheduling.ports import FollowUp, Notices
from core.services import Services


def postmortem_due(resolved_at: datetime | None, days: int) -> datetime | None:
    return resolved_at + timedelta(days=days) if resolved_at and days else None


class ReviewReminders:
    """The sweep; returns how many reminders it sent."""

    name = "review-reminders"

    def __init__(self, notices: Notices, deliver: Deliverer):
        self.notices = notices
        self.deliver = deliver

    def __call__(self, services: Services) -> int:
        now, days = services.clock.now(), services.config.scheduling.postmortem_due_days
        today = now.date().isoformat()
        due: list[tuple[str, FollowUp]] = []
        for incident in services.repos.clock_queries.resolved_without_postmortem():
            resolved = incident.phase_times.get("post-incident")
            deadline = postmortem_due(datetime.fromisoformat(resolved) if resolved else None, days)
            if deadline and deadline <= now and incident.channel_id:
                due.append((f"postmortem:{incident.id}:{today}",
                            FollowUp(incident, "postmortem", commander(incident), deadline, None)))
        items = services.repos.action_items
        for item in items.open_due_before(now.date()):
            incident = services.incidents.get(item.incident_id)
            if incident is not None and incident.channel_id:
                due.append((f"action-item:{item.id}:{today}",
                            FollowUp(incident, "action_item", item.owner or commander(incident), None, item)))
        return sum(self.deliver(key, follow_up.incident.id, lambda f=follow_up: self.notices.follow_up(f))
                   for key, follow_up in due)
