"""What the sweeps tell people, and the interfaces they tell it through. handlers/reminders.py
renders these in Slack, aws/notify.py publishes escalations to SNS; core decides when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.incidents.model import ActionItem, Incident
from typing import Any, Iterable
from core.incidents.model import TimelineEntry


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

    def program_report(self, channel: str, report: Any) -> None:
        """Post a core.reports.program.ProgramReport (summary and charts) in `channel`; raise on
        failure. (Typed Any: core.reports reads core.scheduling, not the other way round.)"""


class Pager(Protocol):
    def page(self, escalation: Escalation) -> None:
        """Publish the escalation outside chat (SNS); raise on failure."""


class ClockLeaseRepository(Protocol):
    """The lease that makes one clock active across replicas."""

    def acquire(self, name: str, holder: str, ttl: Any, now: datetime | None = None) -> bool: ...

    def release(self, name: str, holder: str) -> None: ...

    def holder(self, name: str) -> str | None: ...


class NoticeRepository(Protocol):
    """Every scheduled notice by natural key: sent once across replicas and restarts."""

    def states(self, keys: Iterable[str]) -> dict[str, str]: ...

    def decide(self, key: str, incident_id: int | None, state: str, at: datetime) -> str: ...

    def claim(self, key: str, incident_id: int | None, holder: str, now: datetime, stale: Any) -> bool: ...

    def sent(self, key: str, holder: str, now: datetime) -> None: ...

    def release(self, key: str, holder: str) -> None: ...

    def decided(self, prefix: str, state: str, since: datetime) -> list[tuple[str, int | None]]:
        """(key, incident id) of the decisions `state` under keys starting `prefix`, since `since`."""


class ClockQueryRepository(Protocol):
    """The reads the clock's sweeps and the statistics need."""

    def active_incidents(self) -> list[Incident]: ...

    def resolved_without_postmortem(self) -> list[Incident]: ...

    def declared_since(self, since: datetime) -> list[Incident]: ...

    def actions(self, incident_ids: list[int]) -> dict[int, list[TimelineEntry]]: ...

    def first_seen(self, incident_ids: list[int]) -> dict[int, datetime]: ...
