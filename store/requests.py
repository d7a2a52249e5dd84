"""Remembers which Slack requests were handled, so retries and replays run nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import SlackRequestRow


class SqlRequestRepository:
    def __init__(self, db: Database):
        self.db = db

    def first_time(self, key: str, at: datetime) -> bool:
        """Record `key`; False if it was already recorded (by this or another replica)."""
        try:
            with self.db.session() as session:
                session.add(SlackRequestRow(key=key[:200], received_at=at))
            return True
        except IntegrityError:
            return False

    def forget_before(self, cutoff: datetime) -> int:
        """Drop keys older than any retry Slack would still send (housekeeping)."""
        with self.db.session() as session:
            result = session.execute(delete(SlackRequestRow).where(SlackRequestRow.received_at < cutoff))
            return result.rowcount or 0

    @staticmethod
    def retention() -> timedelta:
        return timedelta(days=1)
