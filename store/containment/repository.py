"""Containment requests in the database. Every state change happens under the request's
row lock (or as a conditional update), together with its audit entry, so double clicks,
Slack retries and replicas see one history and an action is claimed exactly once."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.containment import duplicates
from core.containment.model import APPROVED, EXECUTING, ContainRequest
from core.containment.state import Decision
from core.errors import NotFound
from store.audit.repository import SqlAuditRepository
from store.containment.models import ContainRequestRow
from store.db import Database

FIELDS = ("id", "incident_id", "action", "target", "account", "region", "state", "requested_by", "undo_of",
          "decided_by", "error_code", "error", "decision_note", "message_channel", "message_ts", "seal",
          "approval_seal", "memory_seal")


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def _request(row: ContainRequestRow) -> ContainRequest:
    return ContainRequest(
        **{name: getattr(row, name) for name in FIELDS}, options=dict(row.options or {}),
        requested_at=_aware(row.requested_at), expires_at=_aware(row.expires_at), plan=dict(row.plan or {}),
        dry_run=bool(row.dry_run), decided_at=_aware(row.decided_at), memory=dict(row.memory or {}),
        outcome=dict(row.outcome or {}), finished_at=_aware(row.finished_at))


def _settle_cover(session, row: ContainRequestRow) -> None:
    """After a state change: a request that no longer covers its target frees the key (denied,
    expired, failed, undone); one back in effect (its undo failed) takes it again if free."""
    request = _request(row)
    if not duplicates.covers(request):
        row.covers = None
    elif row.covers is None:
        key = duplicates.key_of(request)
        if session.scalar(select(ContainRequestRow.id).where(ContainRequestRow.covers == key)) is None:
            row.covers = key
    session.flush()


class SqlContainmentRepository:
    def __init__(self, db: Database, audit: SqlAuditRepository):
        self.db = db
        self.audit = audit  # the chain (with its key, if any) every change appends to

    def create(self, fields: dict, event: dict, at: datetime) -> tuple[ContainRequest, bool]:
        """Insert a request with its audit entry; (existing, False) when its dedup_key was seen;
        CoverTaken when another request already covers the same action and target."""
        key, cover = fields.get("dedup_key"), fields.get("covers")

        def insert(session):
            row = ContainRequestRow(**fields)
            session.add(row)
            session.flush()
            self.audit.append_in(session, at, {**event, "request": row.id}, row.id)
            return _request(row)

        try:
            return self.audit.write(insert), True
        except IntegrityError:
            existing = self.by_key(key) if key else None
            if existing is not None:
                return existing, False
            holder = self.holder(cover) if cover else None
            if holder is None:
                raise
            raise duplicates.CoverTaken(holder) from None

    def transition(self, request_id: int, decide: Callable[[ContainRequest], Decision], at: datetime
                   ) -> ContainRequest:
        """Apply `decide(current)` under the row lock; its refusal is raised after the commit."""
        def change(session):
            row = session.scalar(select(ContainRequestRow).where(ContainRequestRow.id == request_id)
                                 .with_for_update())
            if row is None:
                raise NotFound(f"There is no containment request C{request_id}.")
            decision = decide(_request(row))
            for column, value in decision.changes.items():
                setattr(row, column, value)
            _settle_cover(session, row)
            if decision.event:
                self.audit.append_in(session, at, {**decision.event, "request": request_id}, request_id)
            session.flush()
            return _request(row), decision

        result, decision = self.audit.write(change)
        if decision.refuse is not None:
            raise decision.refuse
        return result

    def move(self, request_id: int, from_state: str, changes: dict, event: dict, at: datetime) -> bool:
        """A conditional update: only a request still in `from_state` changes, so of many callers
        (double clicks, replicas, a recovery sweep) exactly one gets True."""
        def change(session):
            moved = session.execute(
                update(ContainRequestRow).where(ContainRequestRow.id == request_id,
                                                ContainRequestRow.state == from_state)
                .values(**changes)).rowcount == 1
            if moved:
                _settle_cover(session, session.get(ContainRequestRow, request_id, populate_existing=True))
                self.audit.append_in(session, at, {**event, "request": request_id}, request_id)
            return moved

        return self.audit.write(change)

    def claim(self, request_id: int, at: datetime) -> bool:
        """approved → executing: the one caller that gets True runs the action."""
        return self.move(request_id, APPROVED, {"state": EXECUTING, "claimed_at": at}, {"event": EXECUTING}, at)

    def finish(self, request_id: int, changes: dict, event: dict, at: datetime) -> bool:
        """executing → a final state, only if still executing (a verdict is never overwritten)."""
        return self.move(request_id, EXECUTING, {**changes, "finished_at": at}, event, at)

    def set_message(self, request_id: int, channel: str, ts: str) -> None:
        with self.db.session() as session:
            session.execute(update(ContainRequestRow).where(ContainRequestRow.id == request_id)
                            .values(message_channel=channel, message_ts=ts))

    def record(self, request_id: int | None, event: dict, at: datetime) -> None:
        """An audit entry on its own (an AWS call, a refused request)."""
        self.audit.append({**event, "request": request_id} if request_id else event, at, request_id)

    # ------------------------------------------------------------------ reads
    def get(self, request_id: int) -> ContainRequest | None:
        with self.db.read() as session:
            row = session.get(ContainRequestRow, request_id)
            return _request(row) if row else None

    def holder(self, cover: str) -> ContainRequest | None:
        """The request that covers this action and target now (core.containment.duplicates)."""
        with self.db.read() as session:
            row = session.scalar(select(ContainRequestRow).where(ContainRequestRow.covers == cover))
            return _request(row) if row else None

    def by_key(self, key: str) -> ContainRequest | None:
        with self.db.read() as session:
            row = session.scalar(select(ContainRequestRow).where(ContainRequestRow.dedup_key == key))
            return _request(row) if row else None

    def for_incident(self, incident_id: int) -> list[ContainRequest]:
        with self.db.read() as session:
            rows = session.scalars(select(ContainRequestRow).where(ContainRequestRow.incident_id == incident_id)
                                   .order_by(ContainRequestRow.id))
            return [_request(r) for r in rows]

    def in_states(self, *states: str) -> list[ContainRequest]:
        with self.db.read() as session:
            rows = session.scalars(select(ContainRequestRow).where(ContainRequestRow.state.in_(states))
                                   .order_by(ContainRequestRow.id))
            return [_request(r) for r in rows]

    def undos_of(self, request_id: int) -> list[ContainRequest]:
        with self.db.read() as session:
            rows = session.scalars(select(ContainRequestRow).where(ContainRequestRow.undo_of == request_id))
            return [_request(r) for r in rows]
