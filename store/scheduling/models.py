"""Tables of the clock: the leader lease and the ledger of what the sweeps decided and
sent. The schema is owned by migration 0005 (which also creates APScheduler's
`apscheduler_jobs`, so the clock needs no DDL rights on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class SchedulerLeaseRow(Base):
    """Who may run the scheduler until when; renewed by the holder, taken over once expired."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScheduledNoticeRow(Base):
    """One decision or delivery of a sweep under its natural key, e.g.
    `reminder:42:2026-01-01T10:30:00+00:00` or `sla:42:acknowledge:chat`: a restart or a
    second clock finds the key and neither loses nor repeats the notice."""

    __tablename__ = "scheduled_notices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20))  # claimed | sent | met | breached
    holder: Mapped[str | None] = mapped_column(String(200))  # the clock that claimed it
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # claimed / decided / sent
