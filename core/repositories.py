"""What core needs from storage, as interfaces. store/ implements them on SQLAlchemy; tests may
hand core anything with the same methods. Core never constructs a repository: the
composition root builds each one once and passes them in `Services.repos`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable, Iterator, Protocol

from core.findings.model import Finding
from core.findings.ports import Digest, StoredFinding
from core.audit.chain import AuditRecord
from core.containment.model import ContainRequest
from core.evidence.model import EvidenceItem
from core.jobs import Job, JobQueue
from core.incidents.model import ActionItem, Incident, Mutation, TimelineEntry

MAX_FINDING_ID = 512  # longest finding id kept; longer ones are rejected at intake


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


class Database(Protocol):
    """The handle the processes need for health and shutdown (never for queries)."""

    url: Any

    def ping(self) -> bool: ...

    def dispose(self) -> None: ...


class IncidentRepository(Protocol):
    def create(self, *, title: str, severity: str, category: str, declared_by: str, at: datetime,
               origin_channel: str | None, dedup_key: str | None, timeline_text: str, description: str = "",
               private: bool = False, roles: dict | None = None, drill: dict | None = None) -> tuple[Incident, bool]: ...

    def mutate(self, incident_id: int, decide: Callable[[Incident, datetime], Mutation],
               now: Callable[[], datetime], *, key: str | None = None) -> tuple[Incident, list[TimelineEntry]]: ...

    def set_fields(self, incident_id: int, **fields) -> None: ...

    def add_timeline(self, incident_id: int, *, kind: str, text: str, at: datetime, actor: str | None = None,
                     data: dict | None = None, dedup_key: str | None = None) -> TimelineEntry | None: ...

    def remove_timeline(self, dedup_key: str) -> TimelineEntry | None: ...

    def find_by_key(self, dedup_key: str) -> Incident | None: ...

    def get(self, incident_id: int) -> Incident | None: ...

    def by_channel(self, channel_id: str) -> Incident | None: ...

    def recent(self, limit: int = 50, *, open_only: bool = False, severity: str | None = None) -> list[Incident]: ...

    def count(self) -> int: ...

    def timeline(self, incident_id: int, *, after_id: int = 0, limit: int | None = 100) -> list[TimelineEntry]: ...

    def timeline_page(self, incident_id: int, *, page: int, per_page: int) -> tuple[list[TimelineEntry], int]: ...


class RequestRepository(Protocol):
    """Natural keys of Slack acts already handled (retries and replays run nothing twice)."""

    def first_time(self, key: str, at: datetime) -> bool: ...

    def forget_before(self, cutoff: datetime) -> int: ...

    def retention(self) -> Any: ...


class JobRepository(JobQueue, Protocol):
    """Durable post-ack work (core/jobs.py): the queue workers claim from, and what the
    `bot.py jobs` commands read and re-queue."""

    def listed(self, *, failed: bool = False, limit: int = 50) -> list[Job]: ...

    def get(self, job_id: int) -> Job | None: ...

    def retry(self, job_id: int, *, at: datetime) -> Job | None: ...


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


class ContainmentRepository(Protocol):
    def create(self, fields: dict, event: dict, at: datetime) -> tuple[ContainRequest, bool]: ...

    def transition(self, request_id: int, decide: Callable, at: datetime) -> ContainRequest: ...

    def move(self, request_id: int, from_state: str, changes: dict, event: dict, at: datetime) -> bool: ...

    def claim(self, request_id: int, at: datetime) -> bool: ...

    def finish(self, request_id: int, changes: dict, event: dict, at: datetime) -> bool: ...

    def set_message(self, request_id: int, channel: str, ts: str) -> None: ...

    def record(self, request_id: int | None, event: dict, at: datetime) -> None: ...

    def get(self, request_id: int) -> ContainRequest | None: ...

    def by_key(self, key: str) -> ContainRequest | None: ...

    def for_incident(self, incident_id: int) -> list[ContainRequest]: ...

    def in_states(self, *states: str) -> list[ContainRequest]: ...

    def undos_of(self, request_id: int) -> list[ContainRequest]: ...


class EvidenceRepository(Protocol):
    """The chain-of-custody manifest: one row per collected item, each written with its audit entry."""

    def record(self, rows: list[dict], at: datetime) -> list[EvidenceItem]:
        """Insert rows not yet recorded (keyed by request and location); the items now stored for them."""

    def for_incident(self, incident_id: int) -> list[EvidenceItem]: ...


class ExecutionLeaseRepository(Protocol):
    """A lease per running request, so recovery can tell a live run from an abandoned one."""

    def hold(self, request_id: int) -> AbstractContextManager[None]: ...

    def held(self, request_id: int) -> bool: ...


class AuditRepository(Protocol):
    def append(self, event: dict, at: datetime) -> int:
        """Add one entry at the end of the chain (keyed when a key is configured); its seq."""

    def records(self) -> Iterator[AuditRecord]: ...

    def head(self) -> tuple[int, str] | None: ...

    def for_request(self, request_id: int) -> list[dict]: ...


class ActionItemRepository(Protocol):
    def add(self, incident_id: int, *, text: str, owner: str | None, due: date | None, created_by: str,
            at: datetime) -> ActionItem: ...

    def get(self, item_id: int) -> ActionItem | None: ...

    def for_incident(self, incident_id: int) -> list[ActionItem]: ...

    def complete(self, item_id: int, *, by: str, at: datetime) -> bool: ...

    def update(self, item_id: int, **fields) -> ActionItem | None: ...

    def delete(self, item_id: int) -> ActionItem | None: ...

    def open_due_before(self, day: date) -> list[ActionItem]: ...


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


class ClockQueryRepository(Protocol):
    """The reads the clock's sweeps and the statistics need."""

    def active_incidents(self) -> list[Incident]: ...

    def resolved_without_postmortem(self) -> list[Incident]: ...

    def declared_since(self, since: datetime) -> list[Incident]: ...

    def actions(self, incident_ids: list[int]) -> dict[int, list[TimelineEntry]]: ...

    def first_seen(self, incident_ids: list[int]) -> dict[int, datetime]: ...


@dataclass(frozen=True)
class Repositories:
    """Every repository, built once by the composition root."""

    incidents: IncidentRepository
    requests: RequestRepository
    findings: FindingRepository
    finding_state: FindingStateRepository
    intake: IntakeRepository
    containment: ContainmentRepository
    leases: ExecutionLeaseRepository
    audit: AuditRepository
    action_items: ActionItemRepository
    clock_leases: ClockLeaseRepository
    notices: NoticeRepository
    clock_queries: ClockQueryRepository
    scheduler_jobs: Callable[[], Any]  # a fresh APScheduler job store on the same database
    jobs: JobRepository  # durable work after Slack's ack
    communications: Any = None  # core.communications.ports.CommunicationsRepository
    evidence: EvidenceRepository | None = None  # the chain-of-custody manifest
