"""Persistence of communications: stakeholder notifications, pages, regulatory clocks
(schema owned by migration 0020), AWS cases and their messages (0021)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.communications.ports import CaseRecord, ClockRecord, NoticeRecord, PageRecord
from store.db import Database, utc
from store.models import Base, IncidentRow
from store.scheduling.repository import _insert_if_absent


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


OPENING_STALE = timedelta(minutes=15)  # longer than any AWS call with its retries


class AwsCaseRow(Base):
    __tablename__ = "incident_aws_cases"
    __table_args__ = (UniqueConstraint("incident_id", "kind", name="uq_incident_aws_cases_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(60))
    severity: Mapped[str | None] = mapped_column(String(20))
    opened_by: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AwsCaseMessageRow(Base):
    __tablename__ = "aws_case_messages"
    __table_args__ = (UniqueConstraint("case_row_id", "key", name="uq_aws_case_messages_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_row_id: Mapped[int] = mapped_column(ForeignKey("incident_aws_cases.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(4))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _case(row: AwsCaseRow) -> CaseRecord:
    return CaseRecord(row.id, row.incident_id, row.kind, row.case_id, row.state, row.status, row.severity,
                      row.opened_by, utc(row.opened_at), utc(row.updated_at), row.error)


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

    # -------------------------------------------------------------- notices retried
    def failed_notices(self) -> list[NoticeRecord]:
        """Automatic notifications (those of the plan) that failed or reached only some targets."""
        with self.db.read() as session:
            rows = session.scalars(select(StakeholderNoticeRow).where(
                StakeholderNoticeRow.state.in_(("failed", "partial")), StakeholderNoticeRow.key.like("auto:%"))
                .order_by(StakeholderNoticeRow.id))
            return [_notice(r) for r in rows]

    def retry_notice(self, notice_id: int, state: str, detail: dict) -> bool:
        """Take a failed notice back for sending (`state` is the one it was read in); False when
        someone else took it or it changed since."""
        with self.db.session() as session:
            return session.execute(update(StakeholderNoticeRow).where(
                StakeholderNoticeRow.id == notice_id, StakeholderNoticeRow.state == state)
                .values(state="sending", detail=detail)).rowcount == 1

    # -------------------------------------------------------------- AWS cases
    def claim_case(self, incident_id: int, kind: str, *, actor: str, severity: str | None,
                   at: datetime) -> tuple[CaseRecord, bool]:
        with self.db.session() as session:
            claimed = _insert_if_absent(self.db, session, AwsCaseRow, incident_id=incident_id, kind=kind,
                                        state="opening", severity=severity, opened_by=actor, opened_at=at,
                                        updated_at=at)
            if not claimed:  # a failed attempt is taken over, and one whose process died while opening it
                stale = (AwsCaseRow.state == "opening") & (AwsCaseRow.updated_at < at - OPENING_STALE)
                claimed = session.execute(update(AwsCaseRow).where(
                    AwsCaseRow.incident_id == incident_id, AwsCaseRow.kind == kind,
                    (AwsCaseRow.state == "failed") | stale)
                    .values(state="opening", severity=severity, opened_by=actor, opened_at=at, updated_at=at,
                            error=None)).rowcount == 1
            row = session.scalar(select(AwsCaseRow).where(AwsCaseRow.incident_id == incident_id,
                                                          AwsCaseRow.kind == kind))
            return _case(row), claimed

    def case_opened(self, record_id: int, case_id: str, status: str, at: datetime) -> CaseRecord:
        with self.db.session() as session:
            session.execute(update(AwsCaseRow).where(AwsCaseRow.id == record_id).values(
                case_id=case_id, state="open", status=status, updated_at=at, error=None))
            return _case(session.get(AwsCaseRow, record_id))

    def case_failed(self, record_id: int, error: str, at: datetime) -> None:
        with self.db.session() as session:
            session.execute(update(AwsCaseRow).where(AwsCaseRow.id == record_id, AwsCaseRow.state == "opening")
                            .values(state="failed", error=error[:2000], updated_at=at))

    def case_status(self, record_id: int, status: str, at: datetime, *, state: str | None = None) -> None:
        values = dict(status=status[:60], updated_at=at)
        if state is not None:
            values["state"] = state
        with self.db.session() as session:
            session.execute(update(AwsCaseRow).where(AwsCaseRow.id == record_id).values(**values))

    def cases(self, incident_id: int) -> list[CaseRecord]:
        with self.db.read() as session:
            rows = session.scalars(select(AwsCaseRow).where(AwsCaseRow.incident_id == incident_id)
                                   .order_by(AwsCaseRow.id))
            return [_case(r) for r in rows]

    def open_cases(self) -> list[CaseRecord]:
        with self.db.read() as session:
            rows = session.scalars(select(AwsCaseRow).where(AwsCaseRow.state == "open").order_by(AwsCaseRow.id))
            return [_case(r) for r in rows]

    def record_message(self, record_id: int, key: str, *, direction: str, body: str, at: datetime) -> bool:
        with self.db.session() as session:
            return _insert_if_absent(self.db, session, AwsCaseMessageRow, case_row_id=record_id, key=key[:200],
                                     direction=direction, body=body, at=at)

    def forget_message(self, record_id: int, key: str) -> None:
        with self.db.session() as session:
            session.execute(delete(AwsCaseMessageRow).where(AwsCaseMessageRow.case_row_id == record_id,
                                                            AwsCaseMessageRow.key == key[:200]))

    def message_keys(self, record_id: int) -> set[str]:
        with self.db.read() as session:
            return set(session.scalars(select(AwsCaseMessageRow.key).where(AwsCaseMessageRow.case_row_id == record_id)))

    def sent_bodies(self, record_id: int) -> set[str]:
        with self.db.read() as session:
            return set(session.scalars(select(AwsCaseMessageRow.body).where(
                AwsCaseMessageRow.case_row_id == record_id, AwsCaseMessageRow.direction == "out")))
