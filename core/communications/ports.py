"""What communications needs from the outside, as interfaces, and the records it keeps.

Core decides who is told what and when; handlers/communications renders a message for
Slack, aws/email.py publishes it to SNS, outbound/paging.py talks to PagerDuty or a
webhook. They reach core through `Services.outreach` (an `Outreach`), built by the root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Protocol


@dataclass(frozen=True)
class StakeholderMessage:
    """One update for one audience, already redacted for it (a private incident's title and
    description are absent unless the audience may see them)."""

    incident_id: int
    label: str  # "#42"
    audience: str
    trigger: str  # declared | severity | status_update | resolved | manual | regulatory
    headline: str  # "Incident #42: Suspicious console logins" or "Private incident #42"
    what_happened: str
    impact: str
    phase: str
    next_update: str  # "by 2026-01-01 10:30 UTC", or "" when none is planned
    text: str = ""  # what the sender added
    sender: str | None = None  # user id; None: Firebreak on its own
    channel_id: str | None = None  # the incident's channel, linked only when the audience may see it

    def plain(self) -> str:
        """The message as plain text (email)."""
        lines = [self.headline, ""]
        if self.text:
            lines += [self.text, ""]
        lines += [f"What happened: {self.what_happened}", f"Impact: {self.impact}", f"Current phase: {self.phase}"]
        if self.next_update:
            lines.append(f"Next update: {self.next_update}")
        return "\n".join(lines)


class StakeholderChat(Protocol):
    def send(self, message: StakeholderMessage, channels: list[str], users: list[str]) -> list[str]:
        """Post in each channel and DM each user (user groups: each member); return where it went.
        Raise on failure after trying every target."""


class Email(Protocol):
    def publish(self, topic_arn: str, subject: str, text: str) -> str:
        """Publish to the SNS topic; return the message id."""


@dataclass(frozen=True)
class PageEvent:
    """One event of a page: trigger, acknowledge or resolve, deduplicated by `dedup_key`."""

    action: str  # trigger | acknowledge | resolve
    dedup_key: str
    summary: str
    severity: str  # critical | error | warning | info (PagerDuty's words)
    source: str
    details: dict = field(default_factory=dict)


class PageTransport(Protocol):
    def send(self, pager, event: PageEvent) -> str:
        """Deliver the event to the pager (core.communications.config.PagerConfig), retrying
        with backoff; return the service's answer (e.g. PagerDuty's dedup_key). Raise PageFailed."""


class PageFailed(Exception):
    """Every attempt to reach the paging service failed; the message says why."""


@dataclass(frozen=True)
class Outreach:
    """The adapters communications uses; any may be None (that way of reaching people is off)."""

    chat: StakeholderChat | None = None
    email: Email | None = None
    paging: PageTransport | None = None


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class NoticeRecord:
    id: int
    incident_id: int
    audience: str
    trigger: str
    actor: str | None
    text: str
    state: str  # sent | failed
    detail: dict
    at: datetime
    key: str = ""


@dataclass(frozen=True)
class PageRecord:
    id: int
    incident_id: int
    target: str  # an audience, or a user id
    dedup_key: str
    state: str  # triggered | acknowledged | resolved | failed
    actor: str | None
    message: str
    created_at: datetime
    updated_at: datetime
    error: str | None = None


@dataclass(frozen=True)
class ClockRecord:
    incident_id: int
    regime: str
    started_at: datetime
    deadline: datetime
    met_at: datetime | None = None
    met_by: str | None = None


class CommunicationsRepository(Protocol):
    def claim_notice(self, key: str, *, incident_id: int, audience: str, trigger: str, actor: str | None,
                     text: str, at: datetime) -> int | None:
        """Record a notification about to be sent under its natural key; its id, or None when
        the key was recorded before (sent already: nothing to do)."""

    def finish_notice(self, notice_id: int, state: str, detail: dict) -> None: ...

    def notices(self, incident_id: int) -> list[NoticeRecord]: ...

    def save_page(self, incident_id: int, target: str, *, dedup_key: str, state: str, actor: str | None,
                  message: str, at: datetime, error: str | None = None) -> PageRecord: ...

    def pages(self, incident_id: int) -> list[PageRecord]: ...

    def start_clock(self, incident_id: int, regime: str, started_at: datetime, deadline: datetime) -> bool:
        """Start a clock unless it runs already (True when this call started it)."""

    def meet_clock(self, incident_id: int, regime: str, by: str, at: datetime) -> bool:
        """Mark it met if it is not yet (True when this call did)."""

    def clocks(self, incident_ids: Iterable[int]) -> list[ClockRecord]: ...

    def running_clocks(self) -> list[ClockRecord]: ...
