"""Incident and timeline persistence. Writes are keyed by natural ids so a retried
command or a second replica finds the existing record instead of adding another."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError


from core.model import Incident, TimelineEntry
from store.db import Database
from store.models import IncidentRow, TimelineEntryRow


def _incident(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id, title=row.title, severity=row.severity, category=row.category, phase=row.phase,
        declared_by=row.declared_by, declared_at=row.declared_at, updated_at=row.updated_at,
        origin_channel=row.origin_channel, channel_id=row.channel_id, version=row.version,
    )


def _entry(row: TimelineEntryRow) -> TimelineEntry:
    return TimelineEntry(id=row.id, incident_id=row.incident_id, at=row.at, kind=row.kind,
                         actor=row.actor, text=row.text, data=row.data or {})


class IncidentStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, *, title: str, severity: str, category: str, declared_by: str, at: datetime,
               origin_channel: str | None, dedup_key: str | None, timeline_text: str) -> tuple[Incident, bool]:
        """Insert an incident with its first timeline entry; (existing, False) if dedup_key was seen."""
        if dedup_key:
            existing = self.find_by_key(dedup_key)
            if existing:
                return existing, False
        try:
            with self.db.session() as session:
                row = IncidentRow(title=title, severity=severity, category=category, phase="detection",
                                  declared_by=declared_by, declared_at=at, updated_at=at,
                                  origin_channel=origin_channel, dedup_key=dedup_key, version=1)
                session.add(row)
                session.flush()
                session.add(TimelineEntryRow(incident_id=row.id, at=at, kind="declared", actor=declared_by,
                                             text=timeline_text,
                                             data={"severity": severity, "category": category}))
                return _incident(row), True
        except IntegrityError:
            # Another request with the same key won the race: theirs is the incident.
            existing = self.find_by_key(dedup_key) if dedup_key else None
            if existing is None:
                raise
            return existing, False

    def add_timeline(self, incident_id: int, *, kind: str, text: str, at: datetime, actor: str | None = None,
                     data: dict | None = None, dedup_key: str | None = None) -> TimelineEntry | None:
        """Append an entry; None when `dedup_key` was already recorded (a retry, a second replica)."""
        try:
            with self.db.session() as session:
                row = TimelineEntryRow(incident_id=incident_id, at=at, kind=kind, actor=actor, text=text,
                                       data=data or {}, dedup_key=dedup_key)
                session.add(row)
                session.flush()
                return _entry(row)
        except IntegrityError:
            if dedup_key is None:
                raise
            return None

    def remove_timeline(self, dedup_key: str) -> bool:
        """Drop the entry recorded under `dedup_key` (e.g. a pin reaction was removed)."""
        with self.db.session() as session:
            row = session.scalar(select(TimelineEntryRow).where(TimelineEntryRow.dedup_key == dedup_key))
            if row is None:
                return False
            session.delete(row)
            return True

    def find_by_key(self, dedup_key: str) -> Incident | None:
        with self.db.read() as session:
            row = session.scalar(select(IncidentRow).where(IncidentRow.dedup_key == dedup_key))
            return _incident(row) if row else None

    def get(self, incident_id: int) -> Incident | None:
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            return _incident(row) if row else None

    def recent(self, limit: int = 50) -> list[Incident]:
        """Newest first."""
        with self.db.read() as session:
            rows = session.scalars(select(IncidentRow).order_by(IncidentRow.id.desc()).limit(limit))
            return [_incident(r) for r in rows]

    def count(self) -> int:
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(IncidentRow)) or 0

    def timeline(self, incident_id: int, *, after_id: int = 0, limit: int = 100) -> list[TimelineEntry]:
        with self.db.read() as session:
            rows = session.scalars(
                select(TimelineEntryRow)
                .where(TimelineEntryRow.incident_id == incident_id, TimelineEntryRow.id > after_id)
                .order_by(TimelineEntryRow.at, TimelineEntryRow.id).limit(limit))
            return [_entry(r) for r in rows]


