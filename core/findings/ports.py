"""What the findings domain hands out and what it needs from the outside.

Core decides; Slack and AWS are reached only through these Protocols, implemented in
handlers/ (SlackNotifier) and aws/ (AwsWriteBack), so core stays free of slack_* and boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from contextlib import AbstractContextManager
from typing import Callable
from core.findings.model import Finding


@dataclass(frozen=True)
class StoredFinding:
    """A finding as stored, with its triage state."""

    pk: int
    finding_id: str
    source: str
    product: str
    type: str
    title: str
    severity: str
    severity_score: float
    account: str | None
    region: str | None
    resources: list[dict[str, str]]
    indicators: dict[str, list[str]]
    tags: dict[str, str]
    raw: dict[str, Any] = field(repr=False)
    raw_format: str
    first_seen: str | None
    last_seen: str | None
    updated_at: str
    count: int
    status: str
    route: str | None
    channel: str | None
    slack_channel: str | None
    slack_ts: str | None
    thread_ts: str | None
    digest_id: int | None
    incident_id: int | None
    activity: list[dict[str, Any]]
    revision: int
    slack_revision: int
    received_at: datetime

    @property
    def primary_resource(self) -> str:
        return self.resources[0]["id"] if self.resources else ""


class ConcurrentIntake(Exception):
    """Another writer stored one of a transaction's new findings first (replicas taking the
    same finding at once). The transaction was rolled back; run it again: that finding is
    then known, and goes through the update path like any copy already stored."""


@dataclass(frozen=True)
class Digest:
    id: int
    route: str
    channel: str
    window_start: datetime
    size: int
    slack_channel: str | None
    slack_ts: str | None
    revision: int
    slack_revision: int


@dataclass(frozen=True)
class IndicatorMatch:
    """A new finding shares indicators with a finding linked to an open incident."""

    incident_id: int
    channel: str | None
    finding_id: str
    finding_title: str
    linked_finding_id: str
    shared: list[tuple[str, str]]  # (kind, value)


class Notifier(Protocol):
    """Shows findings in chat. Calls only queue work; sending happens paced, in the background."""

    def finding_changed(self, finding: StoredFinding) -> None: ...

    def digest_changed(self, digest: Digest) -> None: ...

    def indicator_seen(self, match: IndicatorMatch) -> None: ...

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until what is queued has been sent; False if `timeout` ran out first."""

    def recover(self) -> int:
        """Queue what the database says chat does not show yet (after a restart); how many."""

    def close(self) -> None:
        """Send what is queued (paced), then stop (Services.drain)."""


class WriteBack(Protocol):
    """Tells the producing AWS service that a finding was dismissed; returns what it did."""

    def dismiss(self, finding: StoredFinding, reason: str, user: str) -> str: ...


@dataclass(frozen=True)
class LinkedFinding:
    """A finding linked to an incident, as playbooks, postmortems and metrics read it."""

    finding_id: str
    type: str
    title: str
    severity: str
    first_seen: str | None
    account: str | None
    region: str | None
    resources: list = field(default_factory=list)
    indicators: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    """Input that was not a finding, kept with the reason."""

    id: int
    origin: str
    message_id: str | None
    reason: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Change:
    outcome: str  # new | updated | unchanged
    finding: StoredFinding | None  # None when unchanged


MAX_FINDING_ID = 512  # longest finding id kept; longer ones are rejected at intake


class IngestTransaction(Protocol):
    """One committed-or-nothing transaction of the intake pipeline."""

    now: datetime

    def upsert(self, finding: Finding) -> Change: ...

    def upsert_many(self, findings: list[Finding]) -> list[Change | None]:
        """The new findings of a batch at once; None for each the caller must upsert() itself, in order."""
        ...

    def get(self, pk: int) -> StoredFinding: ...

    def snoozed_until(self, finding: StoredFinding) -> datetime | None: ...

    def place(self, finding: StoredFinding, **values: Any) -> StoredFinding: ...

    def touch_digest(self, digest_id: int) -> Digest: ...

    def claim_window(self, route: str, channel: str, window_start: datetime, after: int) -> Digest | None: ...


class FindingRepository(Protocol):
    def ingest(self, now: datetime) -> AbstractContextManager[IngestTransaction]: ...

    def get(self, pk: int) -> StoredFinding | None: ...

    def by_finding_id(self, finding_id: str) -> StoredFinding | None: ...

    def count(self, **where: Any) -> int: ...

    def digest(self, digest_id: int) -> Digest | None: ...

    def digest_items(self, digest_id: int, *, offset: int = 0, limit: int = 10) -> list[StoredFinding]: ...

    def severity_counts(self, digest_id: int) -> dict[str, int]: ...

    def snooze(self, *, scope: str, finding: StoredFinding, until: datetime, by: str, at: datetime) -> None: ...

    def snoozed_past(self, now: datetime, limit: int = 500) -> list[int]: ...

    def linked(self, incident_id: int) -> list[LinkedFinding]: ...


class FindingStateRepository(Protocol):
    """Triage state changes, and the bookkeeping of what chat shows of each finding/digest."""

    def change(self, pk: int, entry: dict[str, Any] | None, check: Callable[[StoredFinding], None] | None = None,
               **values: Any) -> StoredFinding: ...

    def open_incident_indicators(self) -> dict[tuple[str, str], list[tuple[int, str | None, str]]]: ...

    def claim(self, kind: str, ident: int, token: str, now: datetime) -> str | None: ...

    def posted(self, kind: str, ident: int, claim: str, channel_id: str, ts: str, revision: int) -> None: ...

    def release(self, kind: str, ident: int, claim: str) -> None: ...

    def shown(self, kind: str, ident: int, revision: int) -> None: ...

    def pending(self, now: datetime, stale_after: float = 120.0) -> tuple[list[StoredFinding], list[Digest]]: ...

    def is_claim(self, ts: str | None) -> bool: ...


class IntakeRepository(Protocol):
    """What intake refused (kept with the reason) and the cursors of polled sources."""

    def reject(self, *, origin: str, message_id: str | None, reason: str, body: str, at: datetime) -> bool: ...

    def rejected(self, limit: int = 100) -> list[Rejected]: ...

    def cursor(self, name: str) -> str | None: ...

    def set_cursor(self, name: str, value: str, at: datetime) -> None: ...
