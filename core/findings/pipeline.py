"""The intake pipeline after normalization: dedup and store, route, then notify.

Storing and routing a chunk is one transaction; notifications, automatic declarations and
indicator matches follow its commit, so a crash never leaves Slack ahead of the database,
and whatever Slack missed is found again from the database (Notifier recovery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from core.events import FindingsStored, publish
from core.findings import sequences, triage
from core.findings.model import SEVERITIES, Finding
from core.findings.normalize import Rejection
from core.findings.ports import ConcurrentIntake, Digest, StoredFinding
from core.findings.routing import Decision, Router
from core.findings.ports import MAX_FINDING_ID, IngestTransaction
from core.services import Services

CHUNK = 200  # findings per transaction: on SQLite a web process waits for the write lock behind one chunk


@dataclass
class IngestSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0
    snoozed: int = 0
    digested: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    not_matched: int = 0  # CloudTrail events no detection rule selects: not findings, not errors

    def add_rejections(self, rejections: list[Rejection]) -> None:
        for rejection in rejections:
            if rejection.kind == "no_match":
                self.not_matched += 1
            else:
                self.rejected.append(rejection)

    def lines(self) -> list[str]:
        lines = [f"stored: {self.new} new, {self.updated} updated, {self.unchanged} unchanged",
                 f"of those: {self.suppressed} suppressed, {self.snoozed} snoozed, {self.digested} in digests",
                 f"rejected: {len(self.rejected)}"]
        lines += [f"  {r.reason}" for r in self.rejected]
        if self.not_matched:
            lines.append(f"CloudTrail events matching no detection rule (not findings): {self.not_matched}")
        return lines


@dataclass
class _Effects:
    findings: dict[int, StoredFinding] = field(default_factory=dict)
    digests: dict[int, Digest] = field(default_factory=dict)
    declare: list[tuple[StoredFinding, Decision]] = field(default_factory=list)
    stored: list[StoredFinding] = field(default_factory=list)


def ingest(services: Services, findings: list[Finding], summary: IngestSummary | None = None, *,
           declare: bool = True) -> IngestSummary:
    """`declare=False`: routes post but never declare (a drill's findings belong to the drill's incident)."""
    summary = summary if summary is not None else IngestSummary()
    router = Router.from_config(services.config)
    for start in range(0, len(findings), CHUNK):
        effects = _store(services, router, findings[start:start + CHUNK], summary)
        if not declare:
            effects.declare.clear()
        _after_commit(services, effects)
    return summary


def release_snoozed(services: Services) -> int:
    """Show findings whose snooze has expired (a job for the worker loop or the scheduler)."""
    store, router, effects = services.repos.findings, Router.from_config(services.config), _Effects()
    pks = store.snoozed_past(services.clock.now())
    shown_before = []
    with store.ingest(services.clock.now()) as tx:
        for pk in pks:
            finding = tx.get(pk)
            if not _placeable(finding):
                shown_before.append(pk)
                continue
            placed = _place(tx, finding, router.route(finding), services, effects, IngestSummary())
            if placed.channel:
                effects.findings[pk] = placed
    for pk in shown_before:
        triage.unsnooze(services, pk)
    _after_commit(services, effects)
    return len(pks)


def _store(services: Services, router: Router, findings: list[Finding], summary: IngestSummary) -> _Effects:
    valid = []
    for finding in findings:
        if len(finding.id) > MAX_FINDING_ID:
            summary.rejected.append(Rejection(0, f"finding {finding.id[:60]}…: id longer than {MAX_FINDING_ID} "
                                                 "characters", "invalid"))
            continue
        valid.append(finding)
    for _ in range(_ATTEMPTS - 1):
        try:
            return _counted(services, router, valid, summary)
        except ConcurrentIntake:  # rolled back: nothing of that attempt was stored or counted
            pass
    return _counted(services, router, valid, summary)


def _counted(services: Services, router: Router, valid: list[Finding], summary: IngestSummary) -> _Effects:
    """_store_once, adding to `summary` only once the transaction is committed."""
    counts = IngestSummary()
    effects = _store_once(services, router, valid, counts)
    for name in _COUNTS:
        setattr(summary, name, getattr(summary, name) + getattr(counts, name))
    return effects


# Each failed attempt means another writer committed some of these findings meanwhile, so the
# next attempt finds them known: five covers four replicas racing on one batch.
_ATTEMPTS = 5
_COUNTS = ("new", "updated", "unchanged", "suppressed", "snoozed", "digested")


def _store_once(services: Services, router: Router, valid: list[Finding], summary: IngestSummary) -> _Effects:
    effects = _Effects()
    with services.repos.findings.ingest(services.clock.now()) as tx:
        # New findings in bulk; known ids and repeats within the chunk one by one, in order
        changes = list(zip(valid, tx.upsert_many(valid)))
        decisions = [router.route(finding) for finding, _ in changes]
        tx.lock_windows(_windows_wanted(changes, decisions, services, tx.now))
        for (finding, change), decision in zip(changes, decisions):
            change = change or tx.upsert(finding)
            if change.outcome == "unchanged":
                summary.unchanged += 1
                continue
            setattr(summary, change.outcome, getattr(summary, change.outcome) + 1)
            stored = change.finding
            if finding.state and _placeable(stored):  # the producer had closed it: kept, not shown
                stored = tx.place(stored, status="suppressed", route=decision.route)
            elif _placeable(stored):
                stored = _place(tx, stored, decision, services, effects, summary)
            elif stored.digest_id is not None:
                effects.digests[stored.digest_id] = tx.touch_digest(stored.digest_id)
            if stored.channel:
                effects.findings[stored.pk] = stored
            summary.suppressed += stored.status == "suppressed"
            summary.snoozed += stored.status == "snoozed"
            effects.stored.append(stored)
    return effects


def _windows_wanted(changes: list, decisions: list[Decision], services: Services,
                    now: datetime) -> list[tuple[str, str, datetime]]:
    """The digest windows the new findings of a batch may join (a few more do no harm),
    so the transaction locks them in one order before it places any finding."""
    digest_cfg = services.config.findings.digest
    window = _window(now, digest_cfg.window_seconds)
    return [(decision.route, decision.channel, window) for (finding, change), decision in zip(changes, decisions)
            if change is not None and change.outcome != "unchanged" and decision.action != "suppress"
            and decision.channel and not finding.state and _placeable(change.finding)
            and (decision.digest or not _always_alone(change.finding.severity, digest_cfg.always_alone_from))]


def _placeable(finding: StoredFinding) -> bool:
    """Not yet shown anywhere nor handled by a person: routing may (re)decide where it goes."""
    return (finding.channel is None and finding.digest_id is None and finding.incident_id is None
            and finding.status in ("open", "suppressed", "snoozed"))


def _place(tx: IngestTransaction, finding: StoredFinding, decision: Decision, services: Services, effects: _Effects,
           summary: IngestSummary) -> StoredFinding:
    if decision.action == "suppress":
        return tx.place(finding, status="suppressed", route=decision.route)
    if tx.snoozed_until(finding) is not None:
        return tx.place(finding, status="snoozed", route=decision.route)
    digest_cfg = services.config.findings.digest
    alone = not decision.digest and _always_alone(finding.severity, digest_cfg.always_alone_from)
    digest = None if alone else tx.claim_window(
        decision.route, decision.channel, _window(tx.now, digest_cfg.window_seconds),
        0 if decision.digest else digest_cfg.after)
    if digest is not None:  # a storm: grouped, and never auto-declared one by one
        summary.digested += 1
        effects.digests[digest.id] = digest
        return tx.place(finding, status="open", route=decision.route, digest_id=digest.id)
    placed = tx.place(finding, status="open", route=decision.route, channel=decision.channel)
    if decision.action == "declare" and not sequences.member_of(finding.raw):  # members join their sequence's
        effects.declare.append((placed, decision))
    return placed


def _always_alone(severity: str, threshold: str | None) -> bool:
    """High and critical findings (`findings.digest.always_alone_from`) are never buried in a
    digest; they bypass the window, so they neither join it nor use up its individual slots."""
    return (threshold is not None and severity in SEVERITIES
            and SEVERITIES.index(severity) >= SEVERITIES.index(threshold))


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=timezone.utc)


def _after_commit(services: Services, effects: _Effects) -> None:
    # Subscribers: automatic declarations, then indicator matches with open incidents.
    publish(services, FindingsStored(tuple(effects.stored), tuple(effects.declare)))
    notifier = services.notifier  # without chat (NoNotifier) everything waits in the database for a worker
    for finding in effects.findings.values():
        notifier.finding_changed(finding)
    for digest in effects.digests.values():
        notifier.digest_changed(digest)
