"""Findings persistence: the ingest transaction (store.finding_ingest), reads for messages
and digests, snoozes. Decisions stay in core; this module only keeps them atomic."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import func, select

from core.findings.ports import Digest, StoredFinding
from store.db import Database
from core.findings.ports import LinkedFinding
from store.findings.ingest import IngestTx
from store.incidents.findings import linked_findings
from store.findings.models import FindingDigestRow, FindingRow, FindingSnoozeRow
from store.findings.rows import MAX_ID, clean, producer_key, snooze_key, snoozed_until, to_digest, to_stored

__all__ = ["MAX_ID", "SqlFindingRepository", "IngestTx", "clean"]


class SqlFindingRepository:
    def __init__(self, db: Database):
        self.db = db

    @contextmanager
    def ingest(self, now: datetime) -> Iterator[IngestTx]:
        """One committed-or-nothing transaction for a batch of findings; ConcurrentIntake (rolled
        back) when another writer stored one of its new findings first: run it again."""
        with self.db.session() as session:
            tx = IngestTx(session, now)
            yield tx
            tx.flush()

    def get(self, pk: int) -> StoredFinding | None:
        with self.db.read() as session:
            row = session.get(FindingRow, pk)
            return to_stored(row) if row else None

    def by_finding_id(self, finding_id: str) -> StoredFinding | None:
        with self.db.read() as session:
            row = session.scalar(select(FindingRow).where(FindingRow.finding_id == finding_id))
            return to_stored(row) if row else None

    def by_producer_id(self, source: str, account: str | None, producer_id: str) -> StoredFinding | None:
        with self.db.read() as session:
            row = session.scalar(select(FindingRow).where(
                FindingRow.natural_key == producer_key(source, account, producer_id)))
            return to_stored(row) if row else None

    def count(self, **where: Any) -> int:
        with self.db.read() as session:
            query = select(func.count()).select_from(FindingRow)
            for name, value in where.items():
                query = query.where(getattr(FindingRow, name) == value)
            return session.scalar(query) or 0

    def newest_received(self) -> tuple[str | None, datetime] | None:
        """(last_seen as the source said, received_at) of the finding received last; None: none yet."""
        with self.db.read() as session:
            row = session.execute(select(FindingRow.last_seen, FindingRow.received_at)
                                  .order_by(FindingRow.received_at.desc()).limit(1)).first()
            return (row[0], row[1]) if row else None

    def digest(self, digest_id: int) -> Digest | None:
        with self.db.read() as session:
            row = session.get(FindingDigestRow, digest_id)
            return to_digest(row) if row else None

    def digest_items(self, digest_id: int, *, offset: int = 0, limit: int = 10) -> list[StoredFinding]:
        """Most severe first, then oldest first (stable pages)."""
        with self.db.read() as session:
            rows = session.scalars(select(FindingRow).where(FindingRow.digest_id == digest_id)
                                   .order_by(FindingRow.severity_score.desc(), FindingRow.pk)
                                   .offset(offset).limit(limit))
            return [to_stored(r) for r in rows]

    def severity_counts(self, digest_id: int) -> dict[str, int]:
        with self.db.read() as session:
            rows = session.execute(select(FindingRow.severity, func.count()).where(FindingRow.digest_id == digest_id)
                                   .group_by(FindingRow.severity))
            return {severity: n for severity, n in rows}

    def snooze(self, *, scope: str, finding: StoredFinding, until: datetime, by: str, at: datetime) -> None:
        """Create or extend a snooze (the later expiry of two snoozes of one scope wins)."""
        parts = (finding.finding_id,) if scope == "finding" else (finding.type, finding.primary_resource)
        key = snooze_key(scope, *parts)
        with self.db.session() as session:
            row = session.get(FindingSnoozeRow, key, with_for_update=True)
            if row is None:
                session.add(FindingSnoozeRow(
                    key=key, scope=scope, until=until, by=by, at=at,
                    finding_id=clean(finding.finding_id) if scope == "finding" else None,
                    finding_type=clean(finding.type) if scope == "type" else None,
                    resource=clean(finding.primary_resource) if scope == "type" else None))
            else:
                row.until, row.by, row.at = until, by, at

    def snoozed_past(self, now: datetime, limit: int = 500) -> list[int]:
        """Findings held back by a snooze that has now expired (none still covering them)."""
        with self.db.read() as session:
            pks = session.scalars(select(FindingRow.pk).where(FindingRow.status == "snoozed")
                                  .order_by(FindingRow.pk).limit(limit)).all()
            return [pk for pk in pks if snoozed_until(session, to_stored(session.get(FindingRow, pk)), now) is None]

    def linked(self, incident_id: int) -> list[LinkedFinding]:
        """The findings linked to an incident, oldest first."""
        return linked_findings(self.db, incident_id)
