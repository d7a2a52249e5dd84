"""Incident and timeline persistence. Writes are keyed by natural ids so a retried
command or a second replica finds the existing record instead of adding another."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


from core.errors import NotFound
from core.incidents.model import Incident, Mutation, TimelineEntry
from store.db import Database, utc
from store.models import IncidentRoleRow, IncidentRow, TimelineEntryRow


def _incident(row: IncidentRow, roles: dict | None = None) -> Incident:
    return Incident(
        id=row.id, title=row.title, severity=row.severity, category=row.category, phase=row.phase,
        declared_by=row.declared_by, declared_at=utc(row.declared_at), updated_at=utc(row.updated_at),
        origin_channel=row.origin_channel, channel_id=row.channel_id, version=row.version,
        description=row.description or "", private=bool(row.private), channel_name=row.channel_name,
        summary_ts=row.summary_ts, announce_channel=row.announce_channel, announce_ts=row.announce_ts,
        phase_times=dict(row.phase_times or {}), last_update_at=utc(row.last_update_at), roles=roles or {},
        playbook=row.playbook, playbook_state=dict(row.playbook_state or {}), postmortem=dict(row.postmortem or {}),
        resolution=row.resolution, resolution_reason=row.resolution_reason,
        drill=dict(row.drill or {}),
    )


def _roles(session: Session, incident_id: int) -> dict:
    rows = session.scalars(select(IncidentRoleRow).where(IncidentRoleRow.incident_id == incident_id))
    return {r.role: r.user_id for r in rows}


def _entry(row: TimelineEntryRow) -> TimelineEntry:
    return TimelineEntry(id=row.id, incident_id=row.incident_id, at=utc(row.at), kind=row.kind,
                         actor=row.actor, text=row.text, data=row.data or {})


class SqlIncidentRepository:
    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------------ writes
    def create(self, *, title: str, severity: str, category: str, declared_by: str, at: datetime,
               origin_channel: str | None, dedup_key: str | None, timeline_text: str,
               description: str = "", private: bool = False,
               roles: dict | None = None, drill: dict | None = None) -> tuple[Incident, bool]:
        """Insert an incident with its first timeline entry; (existing, False) if dedup_key was seen."""
        if dedup_key:
            existing = self.find_by_key(dedup_key)
            if existing:
                return existing, False
        try:
            with self.db.session() as session:
                row = IncidentRow(title=title, severity=severity, category=category, phase="detection",
                                  declared_by=declared_by, declared_at=at, updated_at=at,
                                  origin_channel=origin_channel, dedup_key=dedup_key, version=1,
                                  description=description, private=private,
                                  phase_times={"detection": at.isoformat()}, drill=drill or None)
                session.add(row)
                session.flush()
                session.add(TimelineEntryRow(incident_id=row.id, at=at, kind="declared", actor=declared_by,
                                             text=timeline_text,
                                             data={"severity": severity, "category": category}))
                for role, user in (roles or {}).items():
                    session.add(IncidentRoleRow(incident_id=row.id, role=role, user_id=user, assigned_at=at,
                                                assigned_by=declared_by))
                return _incident(row, dict(roles or {})), True
        except IntegrityError:
            # Another request with the same key won the race: theirs is the incident.
            existing = self.find_by_key(dedup_key) if dedup_key else None
            if existing is None:
                raise
            return existing, False

    def mutate(self, incident_id: int, decide: Callable[[Incident, datetime], Mutation], now: Callable[[], datetime],
               *, key: str | None = None) -> tuple[Incident, list[TimelineEntry]]:
        """Apply `decide(current, now)` atomically under a row lock.

        Two replicas changing one incident serialise here, so `decide` always sees the
        latest state and no change or timeline entry is lost or doubled. The time is read
        once the lock is held, so timeline order is the order changes were made in.
        With a `key` (the act's, core/acts.py) the change is applied once: its timeline
        entries carry the key, and a second run finds them and changes nothing."""
        with self.db.session() as session:
            row = session.scalar(select(IncidentRow).where(IncidentRow.id == incident_id).with_for_update())
            if row is None:
                raise NotFound(f"There is no incident #{incident_id}.")
            if key:
                done = list(session.scalars(
                    select(TimelineEntryRow).where(TimelineEntryRow.incident_id == incident_id,
                                                   or_(TimelineEntryRow.dedup_key == key,
                                                       TimelineEntryRow.dedup_key.like(_like_prefix(key) + "/%",
                                                                                       escape="\\")))
                    .order_by(TimelineEntryRow.id)))
                if done:
                    return _incident(row, _roles(session, incident_id)), [_entry(e) for e in done]
            at = now()
            mutation = decide(_incident(row, _roles(session, incident_id)), at)
            for column, value in mutation.changes.items():
                setattr(row, column, value)
            for role, user in mutation.roles.items():
                existing = session.get(IncidentRoleRow, (incident_id, role))
                if user is None:
                    if existing is not None:
                        session.delete(existing)
                elif existing is None:
                    session.add(IncidentRoleRow(incident_id=incident_id, role=role, user_id=user, assigned_at=at))
                else:
                    existing.user_id, existing.assigned_at = user, at
            entries = []
            for n, (kind, actor, text, data) in enumerate(mutation.timeline):
                entry = TimelineEntryRow(incident_id=incident_id, at=at, kind=kind, actor=actor, text=text,
                                         data=data, dedup_key=(key if n == 0 else f"{key}/{n}") if key else None)
                session.add(entry)
                entries.append(entry)
            if mutation.changes or mutation.roles or mutation.timeline:
                row.version += 1
                row.updated_at = at
            session.flush()
            return _incident(row, _roles(session, incident_id)), [_entry(e) for e in entries]

    def set_fields(self, incident_id: int, **fields) -> None:
        """Record Slack-side facts (channel id, summary ts) without a timeline entry."""
        with self.db.session() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"There is no incident #{incident_id}.")
            for column, value in fields.items():
                setattr(row, column, value)

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

    def remove_timeline(self, dedup_key: str) -> TimelineEntry | None:
        """Drop the entry recorded under `dedup_key` (e.g. a pin reaction was removed)."""
        with self.db.session() as session:
            row = session.scalar(select(TimelineEntryRow).where(TimelineEntryRow.dedup_key == dedup_key))
            if row is None:
                return None
            entry = _entry(row)
            session.delete(row)
            return entry

    # ------------------------------------------------------------------ reads
    def find_by_key(self, dedup_key: str) -> Incident | None:
        with self.db.read() as session:
            row = session.scalar(select(IncidentRow).where(IncidentRow.dedup_key == dedup_key))
            return _incident(row, _roles(session, row.id)) if row else None

    def get(self, incident_id: int) -> Incident | None:
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            return _incident(row, _roles(session, row.id)) if row else None

    def by_channel(self, channel_id: str) -> Incident | None:
        with self.db.read() as session:
            row = session.scalar(select(IncidentRow).where(IncidentRow.channel_id == channel_id))
            return _incident(row, _roles(session, row.id)) if row else None

    def recent(self, limit: int = 50, *, open_only: bool = False, severity: str | None = None) -> list[Incident]:
        """Newest first."""
        query = select(IncidentRow).order_by(IncidentRow.id.desc()).limit(limit)
        if open_only:
            query = query.where(IncidentRow.phase != "closed")
        if severity:
            query = query.where(IncidentRow.severity == severity)
        with self.db.read() as session:
            rows = list(session.scalars(query))
            roles: dict[int, dict] = {}
            if rows:
                for r in session.scalars(select(IncidentRoleRow).where(
                        IncidentRoleRow.incident_id.in_([row.id for row in rows]))):
                    roles.setdefault(r.incident_id, {})[r.role] = r.user_id
            return [_incident(r, roles.get(r.id)) for r in rows]

    def count(self) -> int:
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(IncidentRow)) or 0

    def timeline(self, incident_id: int, *, after_id: int = 0, limit: int | None = 100) -> list[TimelineEntry]:
        """Entries in time order (ties by insertion)."""
        query = (select(TimelineEntryRow)
                 .where(TimelineEntryRow.incident_id == incident_id, TimelineEntryRow.id > after_id)
                 .order_by(TimelineEntryRow.at, TimelineEntryRow.id))
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as session:
            return [_entry(r) for r in session.scalars(query)]

    def last_entry_id(self, incident_id: int) -> int:
        with self.db.read() as session:
            return session.scalar(select(func.max(TimelineEntryRow.id))
                                  .where(TimelineEntryRow.incident_id == incident_id)) or 0

    def timeline_page(self, incident_id: int, *, page: int, per_page: int) -> tuple[list[TimelineEntry], int]:
        """One page of the timeline (1-based) and the total number of entries."""
        with self.db.read() as session:
            total = session.scalar(select(func.count()).select_from(TimelineEntryRow)
                                   .where(TimelineEntryRow.incident_id == incident_id)) or 0
            rows = session.scalars(
                select(TimelineEntryRow).where(TimelineEntryRow.incident_id == incident_id)
                .order_by(TimelineEntryRow.at, TimelineEntryRow.id)
                .offset((page - 1) * per_page).limit(per_page))
            return [_entry(r) for r in rows], total


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
