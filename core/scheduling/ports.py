"""What the sweeps tell people, and the interfaces they tell it through. handlers/reminders.py
renders these in Slack, aws/notify.py publishes escalations to SNS; core decides when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.incidents.model import ActionItem, Incident


@dataclass(frozen=True)
class Reminder:
    """The commander owes a status update: none since `since`, one is due every `every`."""

    incident: Incident
    commander: str | None
    since: datetime
    every: timedelta
    now: datetime


@dataclass(frozen=True)
class Escalation:
    """An SLA was breached: `sla` (acknowledge | contain) not reached `limit` after declaration."""

    incident: Incident
    sla: str
    limit: timedelta
    deadline: datetime
    commander: str | None
    mention: tuple[str, ...]  # configured users (U…) and user groups (S…)


@dataclass(frozen=True)
class FollowUp:
    """Something owed after the incident: its postmortem (due `deadline`), or an overdue action item."""

    incident: Incident
    kind: str  # postmortem | action_item
    owner: str | None
    deadline: datetime | None
    item: ActionItem | None


class Notices(Protocol):
    def remind(self, reminder: Reminder) -> None:
        """Ask the commander for a status update (raise if it could not be delivered)."""

    def escalate(self, escalation: Escalation) -> None:
        """Tell the incident channel, mentioning who must step in (raise on failure)."""

    def follow_up(self, follow_up: FollowUp) -> None:
        """Remind the owner of a postmortem or action item in the incident channel."""


class Pager(Protocol):
    def page(self, escalation: Escalation) -> None:
        """Publish the escalation outside chat (SNS); raise on failure."""
