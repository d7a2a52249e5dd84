"""Intake bookkeeping: input that held no finding (kept, never dropped) and polling cursors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.findings.ports import Rejected
from store.db import Database
from store.findings.models import FindingCursorRow, FindingRejectionRow
from store.findings.rows import clean

MAX_BODY = 256 * 1024  # SQS's own message limit; HTTP intake refuses larger bodies before this



class SqlIntakeRepository:
    def __init__(self, db: Database):
        self.db = db

    def reject(self, *, origin: str, message_id: str | None, reason: str, body: str, at: datetime) -> bool:
        """Keep the input and why; True the first time, False for a redelivery (counted)."""
        row = FindingRejectionRow(origin=origin, message_id=message_id and message_id[:200], attempts=1,
                                  reason=clean(reason), body=clean(body[:MAX_BODY]), received_at=at)
        try:
            with self.db.session() as session:
                session.add(row)
            return True
        except IntegrityError:
            with self.db.session() as session:
                session.execute(update(FindingRejectionRow).where(FindingRejectionRow.message_id == row.message_id)
                                .values(attempts=FindingRejectionRow.attempts + 1))
            return False

    def rejected(self, limit: int = 100) -> list[Rejected]:
        with self.db.read() as session:
            rows = session.scalars(select(FindingRejectionRow).order_by(FindingRejectionRow.id).limit(limit))
            return [Rejected(r.id, r.origin, r.message_id, r.reason, r.body, r.attempts) for r in rows]

    def cursor(self, name: str) -> str | None:
        with self.db.read() as session:
            row = session.get(FindingCursorRow, name)
            return row.value if row else None

    def set_cursor(self, name: str, value: str, at: datetime) -> None:
        with self.db.session() as session:
            row = session.get(FindingCursorRow, name, with_for_update=True)
            if row is None:
                session.add(FindingCursorRow(name=name, value=value, updated_at=at))
            elif value > row.value:  # a cursor only moves forward
                row.value, row.updated_at = value, at
