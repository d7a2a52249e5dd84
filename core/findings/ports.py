"""What the findings domain hands out and what it needs from the outside.

Core decides; Slack and AWS are reached only through these Protocols, implemented in
handlers/ (SlackTriageSender) and aws/ (AwsWriteBack), so core stays free of slack_* and boto3.
What chat shows is decided in core/findings/delivery.py and handed to the sender as a view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Hashable, Protocol
from contextlib import AbstractContextManager
from typing import Callable
from core.findings.model import Finding
from core.incidents.model import Incident
from core.messages import PostedMessage


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
    # Each format the finding arrived in -> what write-back needs of that copy (identity.py)
    origins: dict[str, Any] = field(default_factory=dict)

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
    """Shows findings in chat. Calls only queue work; sending happens paced, in the background.
    core.findings.delivery.FindingDelivery is the one implementation outside tests."""

    def finding_changed(self, finding: StoredFinding) -> None: ...

    def digest_changed(self, digest: Digest) -> None: ...

    def indicator_seen(self, match: IndicatorMatch) -> None: ...

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until what is queued has been sent; False if `timeout` ran out first."""

    def recover(self) -> int:
        """Queue what the database says chat does not show yet (after a restart); how many."""

    def close(self) -> None:
        """Send what is queued (paced), then stop (Services.drain)."""


@dataclass(frozen=True)
class FindingView:
    """A finding's triage message as core decided it: what to show, what to offer, and where.
    Rendered whole on every change, so the view is complete."""

    finding: StoredFinding
    channel: str  # where a new message is posted
    thread_ts: str | None  # the digest's thread, for a finding opened from its digest
    message: PostedMessage | None  # the message chat shows already: edited in place
    declare: bool  # "Declare incident" is offered (not linked, not dismissed)
    link_to: tuple[Incident, ...]  # open public incidents "Add to incident" offers to everyone in the channel
    contain: tuple[tuple[str, str], ...]  # the Contain… menu of a linked finding: (action, target), in order
    triage: bool  # Snooze and Dismiss are offered (not dismissed)
    # "Private incident…" is offered: an open private incident exists. Which ones is decided
    # for the person who chooses it (core.findings.triage.private_choices), never in the message.
    link_private: bool = False

    @property
    def key(self) -> tuple[str, int]:
        return ("finding", self.finding.pk)

    @property
    def revision(self) -> int:
        return self.finding.revision


@dataclass(frozen=True)
class DigestView:
    """A storm digest's message: its size and counts, the first findings, and where."""

    digest: Digest
    top: tuple[StoredFinding, ...]  # listed on the message: most severe first, then oldest
    counts: dict[str, int]  # findings per severity in the whole digest
    channel: str
    message: PostedMessage | None
    thread_ts: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return ("digest", self.digest.id)

    @property
    def revision(self) -> int:
        return self.digest.revision

    @property
    def more(self) -> int:
        """Findings in the digest beyond those listed."""
        return self.digest.size - len(self.top)


TriageView = FindingView | DigestView | IndicatorMatch


class Deferred(Exception):
    """A delivery that cannot happen yet (another worker is posting that message): the
    sender's queue runs it again after `after` seconds."""

    def __init__(self, after: float):
        super().__init__(f"deferred {after}s")
        self.after = after


class TriageSender(Protocol):
    """Chat's half of finding delivery (handlers/findings/notifier.py): a paced queue per
    channel, and messages rendered from core's views. It reads no storage and decides nothing."""

    def queue(self, channel: str, key: Hashable, send: Callable[[], None]) -> None:
        """Run `send` in `channel`'s next paced turn; it replaces a queued send of the same key.
        `send` may raise Deferred (run again later) or chat's errors (retried, 429 waited out)."""

    def post(self, view: TriageView) -> PostedMessage:
        """Post a new message in `view.channel` (in `view.thread_ts`'s thread); return where."""

    def update(self, view: FindingView | DigestView) -> None:
        """Edit the message at `view.message` to show `view`."""

    def drain(self, timeout: float | None = None) -> bool: ...

    def close(self) -> None: ...


class WriteBack(Protocol):
    """Tells the producing AWS service what triage did with a finding; returns what it did."""

    def dismiss(self, finding: StoredFinding, reason: str, user: str) -> str: ...

    def snooze(self, finding: StoredFinding, until: datetime, user: str, reason: str) -> str:
        """A note only: a snooze ends, so the finding must stay open in AWS for everyone else.
        Returns what it did, "" when no copy of the finding takes a note."""


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

    def lock_windows(self, keys: list[tuple[str, str, datetime]]) -> None:
        """Lock these digest windows now, in one order for every writer (no deadlock)."""


class FindingRepository(Protocol):
    def ingest(self, now: datetime) -> AbstractContextManager[IngestTransaction]: ...

    def get(self, pk: int) -> StoredFinding | None: ...

    def by_finding_id(self, finding_id: str) -> StoredFinding | None: ...

    def by_producer_id(self, source: str, account: str | None, producer_id: str) -> StoredFinding | None:
        """The finding the producer's own id names in `account`, whichever copy (native, ASFF,
        OCSF) was stored first and so named it (the natural key, core/findings/identity.py)."""

    def count(self, **where: Any) -> int: ...

    def newest_received(self) -> tuple[str | None, datetime] | None:
        """(last_seen as the source said, received_at) of the finding received last; None: none yet."""

    def digest(self, digest_id: int) -> Digest | None: ...

    def digest_items(self, digest_id: int, *, offset: int = 0, limit: int = 10) -> list[StoredFinding]: ...

    def severity_counts(self, digest_id: int) -> dict[str, int]: ...

    def snooze(self, *, scope: str, finding: StoredFinding, until: datetime, by: str, at: datetime) -> None: ...

    def snoozed_past(self, now: datetime, limit: int = 500) -> list[int]: ...

    def linked(self, incident_id: int) -> list[LinkedFinding]: ...


@dataclass(frozen=True)
class PostingClaim:
    """A poster's reservation of a new message (`kind` finding or digest), held since `at`."""

    kind: str
    ident: int
    claim: str
    at: datetime


class FindingStateRepository(Protocol):
    """Triage state changes, and the bookkeeping of what chat shows of each finding/digest
    (kept by core/findings/delivery.py)."""

    def change(self, pk: int, entry: dict[str, Any] | None, check: Callable[[StoredFinding], None] | None = None,
               **values: Any) -> StoredFinding: ...

    def open_incident_indicators(self) -> dict[tuple[str, str], list[tuple[int, str | None, str]]]: ...

    def claim(self, kind: str, ident: int, token: str, now: datetime) -> str | None:
        """Reserve posting the message (only while none is posted or claimed): the claim, or None."""

    def posted(self, kind: str, ident: int, claim: str, channel_id: str, ts: str, revision: int) -> None:
        """Record where the claimed message was posted, and that it shows `revision`."""

    def release(self, kind: str, ident: int, claim: str) -> None:
        """Give the claim back (only if it is still this one), so the next attempt may post."""

    def shown(self, kind: str, ident: int, revision: int) -> None:
        """Chat shows `revision` now (never moves backwards)."""

    def claims(self) -> list[PostingClaim]:
        """Every claim held now, with when it was taken."""

    def unshown(self) -> tuple[list[StoredFinding], list[Digest]]:
        """The findings (with a channel) and digests (not empty) whose latest revision chat does not show."""

    def is_claim(self, ts: str | None) -> bool:
        """True for a claim's placeholder where a posted message's ts would be."""


class IntakeRepository(Protocol):
    """What intake refused (kept with the reason) and the cursors of polled sources."""

    def reject(self, *, origin: str, message_id: str | None, reason: str, body: str, at: datetime) -> bool: ...

    def rejected(self, limit: int = 100) -> list[Rejected]: ...

    def cursor(self, name: str) -> str | None: ...

    def set_cursor(self, name: str, value: str, at: datetime) -> None: ...
