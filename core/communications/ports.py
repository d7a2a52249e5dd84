"""What communications needs from the outside, as interfaces, and the records it keeps.

Core decides who is told what and when; handlers/communications renders a message for
Slack, aws/email.py publishes it to SNS, outbound/paging.py talks to PagerDuty or a
webhook. They reach core through `Services.outreach` (an `Outreach`), built by the root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Protocol

from core.errors import NotConnected


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
    def send(self, message: StakeholderMessage, channels: list[str], users: list[str],
             skip: list[str] = ()) -> list[str]:
        """Post in each channel and DM each user (user groups: each member) except those in
        `skip` (reached before); return where it went. Raise on failure after trying every
        target, with the targets reached as the error's `delivered`."""


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
class CaseMessage:
    """One message of an AWS case: Support correspondence or a Security IR comment."""

    key: str  # stable: the comment id, or a digest of a Support communication's time, author and body
    author: str
    body: str
    at: datetime | None = None


class SupportDesk(Protocol):
    """AWS Support cases (aws/support_cases.py; the API answers in us-east-1 only)."""

    def open_case(self, *, subject: str, body: str, severity: str, service_code: str, category_code: str,
                  language: str, issue_type: str, cc_emails: list[str]) -> str:
        """CreateCase; the case id."""

    def reply(self, case_id: str, body: str, cc_emails: list[str]) -> None:
        """AddCommunicationToCase."""

    def correspondence(self, case_id: str) -> list[CaseMessage]:
        """DescribeCommunications (every page), oldest first."""

    def resolve(self, case_id: str) -> str:
        """ResolveCase; the final status."""


class SecurityIncidentResponse(Protocol):
    """AWS Security Incident Response cases (aws/support_cases.py)."""

    def open_case(self, *, title: str, description: str, resolver_type: str, engagement_type: str,
                  started: datetime, accounts: list[str], watchers: list[dict], regions: list[str],
                  token: str) -> str:
        """CreateCase (idempotent per `token`); the case id."""

    def comment(self, case_id: str, body: str, token: str) -> str:
        """CreateCaseComment (idempotent per `token`); the comment id."""

    def comments(self, case_id: str) -> list[CaseMessage]:
        """ListComments (every page), oldest first."""

    def status(self, case_id: str) -> str:
        """GetCase: the case's status (Submitted, Acknowledged, ... Closed)."""


# ------------------------------------------------------------------ when a way out is missing
class NoStakeholderChat:
    """Stakeholders cannot be told in chat here: the notice records "Slack: not connected"."""

    def send(self, message: StakeholderMessage, channels: list[str], users: list[str],
             skip: list[str] = ()) -> list[str]:
        raise NotConnected("not connected")


class NoEmail:
    """No email (SNS) for stakeholders: the notice records "email: not configured"."""

    def publish(self, topic_arn: str, subject: str, text: str) -> str:
        raise NotConnected("not configured")


class NoPaging:
    """No paging transport: a page fails, recorded as such."""

    def send(self, pager, event: PageEvent) -> str:
        raise PageFailed("paging is not connected")


class NoSupportDesk:
    """AWS Support cases are not connected in this process."""

    def _refuse(self, *args: Any, **kwargs: Any):
        raise NotConnected("AWS Support cases are not connected in this process.")

    open_case = reply = correspondence = resolve = _refuse


class NoSecurityIncidentResponse:
    """AWS Security Incident Response cases are not connected in this process."""

    def _refuse(self, *args: Any, **kwargs: Any):
        raise NotConnected("AWS Security Incident Response cases are not connected in this process.")

    open_case = comment = comments = status = _refuse


@dataclass(frozen=True)
class Outreach:
    """The adapters communications uses; a way of reaching people that is off here is its null object."""

    chat: StakeholderChat = field(default_factory=NoStakeholderChat)
    email: Email = field(default_factory=NoEmail)
    paging: PageTransport = field(default_factory=NoPaging)
    support: SupportDesk = field(default_factory=NoSupportDesk)  # AWS Support cases
    security_ir: SecurityIncidentResponse = field(default_factory=NoSecurityIncidentResponse)  # AWS Security IR


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


@dataclass(frozen=True)
class CaseRecord:
    """An AWS case linked to an incident: one per incident and kind."""

    id: int
    incident_id: int
    kind: str  # support | security-ir
    case_id: str | None  # None while it is being opened (or opening failed)
    state: str  # opening | open | failed | resolved
    status: str | None  # the service's own word for it (Support: opened, ...; IR: Submitted, ...)
    severity: str | None
    opened_by: str | None
    opened_at: datetime
    updated_at: datetime
    error: str | None = None


class CommunicationsRepository(Protocol):
    def claim_notice(self, key: str, *, incident_id: int, audience: str, trigger: str, actor: str | None,
                     text: str, at: datetime) -> int | None:
        """Record a notification about to be sent under its natural key; its id, or None when
        the key was recorded before (sent already: nothing to do)."""

    def finish_notice(self, notice_id: int, state: str, detail: dict) -> None: ...

    def notices(self, incident_id: int) -> list[NoticeRecord]: ...

    def failed_notices(self) -> list[NoticeRecord]:
        """Automatic notifications (key auto:…) in state failed or partial."""

    def retry_notice(self, notice_id: int, state: str, detail: dict) -> bool:
        """Take a failed notice back for sending if it is still in `state`."""

    def save_page(self, incident_id: int, target: str, *, dedup_key: str, state: str, actor: str | None,
                  message: str, at: datetime, error: str | None = None) -> PageRecord: ...

    def pages(self, incident_id: int) -> list[PageRecord]: ...

    def start_clock(self, incident_id: int, regime: str, started_at: datetime, deadline: datetime) -> bool:
        """Start a clock unless it runs already (True when this call started it)."""

    def meet_clock(self, incident_id: int, regime: str, by: str, at: datetime) -> bool:
        """Mark it met if it is not yet (True when this call did)."""

    def clocks(self, incident_ids: Iterable[int]) -> list[ClockRecord]: ...

    def running_clocks(self) -> list[ClockRecord]: ...

    def claim_case(self, incident_id: int, kind: str, *, actor: str, severity: str | None,
                   at: datetime) -> tuple[CaseRecord, bool]:
        """The incident's case of this kind, and whether this call claimed it for opening (no
        case yet, the last attempt failed, or it was left `opening` long ago by a process that
        died). A case being opened now, or open, is never claimed."""

    def case_opened(self, record_id: int, case_id: str, status: str, at: datetime) -> CaseRecord: ...

    def case_failed(self, record_id: int, error: str, at: datetime) -> None: ...

    def case_status(self, record_id: int, status: str, at: datetime, *, state: str | None = None) -> None: ...

    def cases(self, incident_id: int) -> list[CaseRecord]: ...

    def open_cases(self) -> list[CaseRecord]: ...

    def record_message(self, record_id: int, key: str, *, direction: str, body: str, at: datetime) -> bool:
        """Remember a message of the case (in: shown in the channel; out: sent to AWS) under
        its key; True when it was not remembered before."""

    def forget_message(self, record_id: int, key: str) -> None:
        """Give back a claim whose send failed (the next poll tries again)."""

    def message_keys(self, record_id: int) -> set[str]: ...

    def sent_bodies(self, record_id: int) -> set[str]:
        """Bodies Firebreak sent to the case (to recognise them in its correspondence)."""
