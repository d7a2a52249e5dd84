"""Persistence of communications: stakeholder notifications, pages, regulatory clocks
(schema owned by migration 0020)."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.communications.ports import ClockRecord, NoticeRecord, PageRecord
from store.db import Database, utc
from store.models import Base, IncidentRow
from store.scheduling import _insert_if_absent


class StakeholderNoticeRow(Base):
    __tablename__ = "stakeholder_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(80))
    trigger: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IncidentPageRow(Base):
    __tablename__ = "incident_pages"
    __table_args__ = (UniqueConstraint("incident_id", "target", name="uq_incident_pages_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(80))
    dedup_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegulatoryClockRow(Base):
    __tablename__ = "regulatory_clocks"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    regime: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    met_by: Mapped[str | None] = mapped_column(String(80))


def _notice(row: StakeholderNoticeRow) -> NoticeRecord:
    return NoticeRecord(row.id, row.incident_id, row.audience, row.trigger, row.actor, row.text, row.state,
                        dict(row.detail or {}), utc(row.at), row.key)


def _page(row: IncidentPageRow) -> PageRecord:
    return PageRecord(row.id, row.incident_id, row.target, row.dedup_key, row.state, row.actor, row.message,
                      utc(row.created_at), utc(row.updated_at), row.error)


def _clock(row: RegulatoryClockRow) -> ClockRecord:
    return ClockRecord(row.incident_id, row.regime, utc(row.started_at), utc(row.deadline), utc(row.met_at),
                       row.met_by)


class SqlCommunicationsRepository:
    def __init__(self, db: Database):
        self.db = db

    # -------------------------------------------------------------- notices
    def claim_notice(self, key: str, *, incident_id: int, audience: str, trigger: str, actor: str | None,
                     text: str, at: datetime) -> int | None:
        with self.db.session() as session:
            if not _insert_if_absent(self.db, session, StakeholderNoticeRow, key=key, incident_id=incident_id,
                                     audience=audience, trigger=trigger, actor=actor, text=text, state="sending",
                                     detail={}, at=at):
                return None
            return session.scalar(select(StakeholderNoticeRow.id).where(StakeholderNoticeRow.key == key))

    def finish_notice(self, notice_id: int, state: str, detail: dict) -> None:
        with self.db.session() as session:
            session.execute(update(StakeholderNoticeRow).where(StakeholderNoticeRow.id == notice_id)
                            .values(state=state, detail=detail))

    def notices(self, incident_id: int) -> list[NoticeRecord]:
        with self.db.read() as session:
            rows = session.scalars(select(StakeholderNoticeRow).where(StakeholderNoticeRow.incident_id == incident_id)
                                   .order_by(StakeholderNoticeRow.id))
            return [_notice(r) for r in rows]

    # -------------------------------------------------------------- pages
    def save_page(self, incident_id: int, target: str, *, dedup_key: str, state: str, actor: str | None,
                  message: str, at: datetime, error: str | None = None) -> PageRecord:
        """One row per incident and target, moved through its states (the latest event wins)."""
        with self.db.session() as session:
            if not _insert_if_absent(self.db, session, IncidentPageRow, incident_id=incident_id, target=target,
                                     dedup_key=dedup_key, state=state, actor=actor, message=message, error=error,
                                     created_at=at, updated_at=at):
                values = dict(state=state, updated_at=at, error=error)
                if actor is not None:
                    values.update(actor=actor, message=message)
                session.execute(update(IncidentPageRow).where(IncidentPageRow.incident_id == incident_id,
                                                              IncidentPageRow.target == target).values(**values))
            row = session.scalar(select(IncidentPageRow).where(IncidentPageRow.incident_id == incident_id,
                                                               IncidentPageRow.target == target))
            return _page(row)

    def pages(self, incident_id: int) -> list[PageRecord]:
        with self.db.read() as session:
            rows = session.scalars(select(IncidentPageRow).where(IncidentPageRow.incident_id == incident_id)
                                   .order_by(IncidentPageRow.id))
            return [_page(r) for r in rows]

    # -------------------------------------------------------------- regulatory clocks
    def start_clock(self, incident_id: int, regime: str, started_at: datetime, deadline: datetime) -> bool:
        with self.db.session() as session:
            return _insert_if_absent(self.db, session, RegulatoryClockRow, incident_id=incident_id, regime=regime,
                                     started_at=started_at, deadline=deadline)

    def meet_clock(self, incident_id: int, regime: str, by: str, at: datetime) -> bool:
        with self.db.session() as session:
            row = RegulatoryClockRow
            return session.execute(update(row).where(row.incident_id == incident_id, row.regime == regime,
                                                     row.met_at.is_(None))
                                   .values(met_at=at, met_by=by)).rowcount == 1

    def clocks(self, incident_ids: Iterable[int]) -> list[ClockRecord]:
        ids = list(incident_ids)
        if not ids:
            return []
        with self.db.read() as session:
            rows = session.scalars(select(RegulatoryClockRow).where(RegulatoryClockRow.incident_id.in_(ids))
                                   .order_by(RegulatoryClockRow.deadline))
            return [_clock(r) for r in rows]

    def running_clocks(self) -> list[ClockRecord]:
        """Clocks not yet met, of incidents that are not cancelled (a false positive still runs:
        whether to notify is for people to decide, and they say so with /incident notified)."""
        with self.db.read() as session:
            rows = session.scalars(
                select(RegulatoryClockRow).join(IncidentRow, IncidentRow.id == RegulatoryClockRow.incident_id)
                .where(RegulatoryClockRow.met_at.is_(None),
                       (IncidentRow.resolution.is_(None)) | (IncidentRow.resolution != "cancelled"))
                .order_by(RegulatoryClockRow.deadline))
            return [_clock(r) for r in rows]
