"""Triage state and the chat bookkeeping of findings and digests.

core/findings/delivery.py keeps the books; this stores them. A message is posted once: the
poster first claims the empty `slack_ts` with a conditional update, so two workers (or a
retry racing the first attempt) cannot both post it. What chat shows is tracked as
`slack_revision` against `revision`, so anything not yet shown after a crash is found
again by `unshown()`, and a dead poster's claim by `claims()`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import select, update

from core.findings.ports import Digest, PostingClaim, StoredFinding
from store.db import Database
from store.findings.models import FindingDigestRow, FindingIndicatorRow, FindingRow
from store.findings.rows import clean, to_digest, to_stored
from store.models import IncidentRow

CLAIM = "claim:"
_IN_LIMIT = 500  # incident ids per IN (...): well under any driver's parameter limit
_TABLES = {"finding": (FindingRow, FindingRow.pk), "digest": (FindingDigestRow, FindingDigestRow.id)}


class SqlFindingStateRepository:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def is_claim(ts: str | None) -> bool:
        """A placeholder written while a message is being posted, not a real Slack ts."""
        return bool(ts) and ts.startswith(CLAIM)

    # ------------------------------------------------------------- triage
    def change(self, pk: int, entry: dict[str, Any] | None, check: Callable[[StoredFinding], None] | None = None,
               **values: Any) -> StoredFinding:
        """Apply `values` and log `entry` under a row lock; `check` may raise to refuse
        (then nothing changes). Bumps the revision so the message is edited."""
        with self.db.session() as session:
            row = session.get(FindingRow, pk, with_for_update=True, populate_existing=True)
            if row is None:
                raise LookupError(pk)
            if check is not None:
                check(to_stored(row))
            for name, value in values.items():
                setattr(row, name, clean(value))
            if entry is not None:
                row.activity = [*row.activity, {k: clean(v) for k, v in entry.items()}]
            row.revision += 1
            session.flush()
            return to_stored(row)

    def open_incident_indicators(self) -> dict[tuple[str, str], list[tuple[int, str | None, str]]]:
        """(kind, value) -> [(incident id, its channel, linked finding id)] over open incidents.

        Open incidents first, then only their findings' indicators: every chunk of a storm asks
        this, and one join over all indicators (whichever way the planner starts it) reads the
        whole table, which grows with every finding stored."""
        with self.db.read() as session:
            incidents = {incident_id: channel_id or origin for incident_id, channel_id, origin in session.execute(
                select(IncidentRow.id, IncidentRow.channel_id, IncidentRow.origin_channel)
                .where(IncidentRow.phase != "closed"))}
            found: dict[tuple[str, str], list[tuple[int, str | None, str]]] = {}
            ids = sorted(incidents)
            for start in range(0, len(ids), _IN_LIMIT):
                rows = session.execute(
                    select(FindingIndicatorRow.kind, FindingIndicatorRow.value, FindingRow.incident_id,
                           FindingRow.finding_id)
                    .join(FindingIndicatorRow, FindingIndicatorRow.finding_pk == FindingRow.pk)
                    .where(FindingRow.incident_id.in_(ids[start:start + _IN_LIMIT]))
                    .order_by(FindingRow.incident_id, FindingRow.pk))
                for kind, value, incident_id, finding_id in rows:
                    found.setdefault((kind, value), []).append((incident_id, incidents[incident_id], finding_id))
            return found

    # ------------------------------------------------------------- Slack bookkeeping
    def claim(self, kind: str, ident: int, token: str, now: datetime) -> str | None:
        """Reserve the right to post; the claim text, or None if posted/claimed already."""
        table, key = _TABLES[kind]
        claim = f"{CLAIM}{int(now.timestamp())}:{token}"
        with self.db.session() as session:
            done = session.execute(update(table).where(key == ident, table.slack_ts.is_(None))
                                   .values(slack_ts=claim))
            return claim if done.rowcount == 1 else None

    def posted(self, kind: str, ident: int, claim: str, channel_id: str, ts: str, revision: int) -> None:
        table, key = _TABLES[kind]
        with self.db.session() as session:
            session.execute(update(table).where(key == ident, table.slack_ts == claim)
                            .values(slack_ts=ts, slack_channel=channel_id))
        self.shown(kind, ident, revision)

    def release(self, kind: str, ident: int, claim: str) -> None:
        """Give a claim back after a failed post, so the next attempt may post."""
        table, key = _TABLES[kind]
        with self.db.session() as session:
            session.execute(update(table).where(key == ident, table.slack_ts == claim).values(slack_ts=None))

    def shown(self, kind: str, ident: int, revision: int) -> None:
        table, key = _TABLES[kind]
        with self.db.session() as session:
            session.execute(update(table).where(key == ident, table.slack_revision < revision)
                            .values(slack_revision=revision))

    def claims(self) -> list[PostingClaim]:
        found = []
        with self.db.read() as session:
            for kind, (table, key) in _TABLES.items():
                for ident, ts in session.execute(select(key, table.slack_ts).where(table.slack_ts.like(CLAIM + "%"))
                                                 .order_by(key)):
                    found.append(PostingClaim(kind, ident, ts, _claimed_at(ts)))
        return found

    def unshown(self) -> tuple[list[StoredFinding], list[Digest]]:
        with self.db.read() as session:
            findings = session.scalars(select(FindingRow).where(
                FindingRow.channel.is_not(None), FindingRow.slack_revision < FindingRow.revision)
                .order_by(FindingRow.pk))
            digests = session.scalars(select(FindingDigestRow).where(
                FindingDigestRow.size > 0, FindingDigestRow.slack_revision < FindingDigestRow.revision)
                .order_by(FindingDigestRow.id))
            return [to_stored(r) for r in findings], [to_digest(r) for r in digests]


def _claimed_at(claim: str) -> datetime:
    """When a claim was taken: written into it as whole seconds (`claim:<epoch>:<holder>`)."""
    return datetime.fromtimestamp(int(claim.split(":")[1]), tz=timezone.utc)
