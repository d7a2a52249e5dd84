"""Findings persistence: the ingest transaction (dedup by finding id, never backwards),
snoozes, digest windows. Decisions stay in core; this module only keeps them atomic."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.findings.model import Finding
from core.findings.ports import Digest, StoredFinding
from store.db import Database
from store.finding_models import FindingDigestRow, FindingRow, FindingSnoozeRow

MAX_ID = 512
_CLIP = {"source": 80, "product": 300, "type": 300, "account": 40, "region": 40, "raw_format": 40}


def clean(text: Any) -> Any:
    """PostgreSQL refuses NUL in text; attacker-controlled strings may carry one."""
    return text.replace("\x00", "\ufffd") if isinstance(text, str) else text


def _values(finding: Finding) -> dict[str, Any]:
    values = {
        "source": finding.source, "product": finding.product, "type": finding.type, "title": finding.title,
        "severity": finding.severity, "severity_score": float(finding.severity_score),
        "account": finding.account, "region": finding.region, "resources": finding.resources,
        "indicators": finding.indicators, "tags": finding.tags, "raw": finding.raw,
        "raw_format": finding.raw_format, "first_seen": finding.first_seen, "last_seen": finding.last_seen,
        "updated_at": finding.updated_at or "", "count": int(finding.count),
    }
    for key, value in values.items():
        values[key] = clean(value)
        if key in _CLIP and isinstance(values[key], str):
            values[key] = values[key][: _CLIP[key]]
    return values


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their (UTC) zone; put it back."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def to_stored(row: FindingRow) -> StoredFinding:
    fields = {name: getattr(row, name) for name in StoredFinding.__dataclass_fields__}
    return StoredFinding(**dict(fields, received_at=aware(row.received_at)))


def to_digest(row: FindingDigestRow) -> Digest:
    fields = {name: getattr(row, name) for name in Digest.__dataclass_fields__}
    return Digest(**dict(fields, window_start=aware(row.window_start)))


def snooze_key(scope: str, *parts: str) -> str:
    return hashlib.sha256("\x00".join((scope, *parts)).encode()).hexdigest()


def snoozed_until(session: Session, finding: StoredFinding, now: datetime) -> datetime | None:
    """Latest expiry of a snooze covering this finding (by id, or its type on its resource)."""
    keys = [snooze_key("finding", finding.finding_id), snooze_key("type", finding.type, finding.primary_resource)]
    return aware(session.scalar(select(func.max(FindingSnoozeRow.until)).where(
        FindingSnoozeRow.key.in_(keys), FindingSnoozeRow.until > now)))


from store.finding_ingest import IngestTx  # noqa: E402 - it builds on the helpers above


class FindingStore:
    def __init__(self, db: Database):
        self.db = db

    @contextmanager
    def ingest(self, now: datetime) -> Iterator[IngestTx]:
        """One committed-or-nothing transaction for a batch of findings."""
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

    def count(self, **where: Any) -> int:
        with self.db.read() as session:
            query = select(func.count()).select_from(FindingRow)
            for name, value in where.items():
                query = query.where(getattr(FindingRow, name) == value)
            return session.scalar(query) or 0

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
