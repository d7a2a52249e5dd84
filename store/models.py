"""SQLAlchemy models. Natural keys carry unique constraints so retries and replicas
cannot create duplicates; the schema itself is owned by Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(80))
    phase: Mapped[str] = mapped_column(String(40))
    declared_by: Mapped[str] = mapped_column(String(80))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    origin_channel: Mapped[str | None] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    # Natural key of whatever caused the declaration (a Slack trigger, a finding id):
    # a retry of the same cause finds the existing incident instead of a second one.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    channel_name: Mapped[str | None] = mapped_column(String(80))
    summary_ts: Mapped[str | None] = mapped_column(String(40))  # pinned summary, kept current
    announce_channel: Mapped[str | None] = mapped_column(String(80))
    announce_ts: Mapped[str | None] = mapped_column(String(40))
    # First time the incident entered each phase (feeds time-to-contain/recover metrics).
    phase_times: Mapped[dict | None] = mapped_column(JSON)
    last_update_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    playbook: Mapped[str | None] = mapped_column(String(80))
    # {"done": {step: {"by", "at"}}, "messages": {phase: ts}, "total": n}; changed under the row lock.
    playbook_state: Mapped[dict | None] = mapped_column(JSON)
    postmortem: Mapped[dict | None] = mapped_column(JSON)  # the review's answers (summary, impact, ...)
    # How it ended: NULL (resolved), "false-positive" or "cancelled"; both of the latter are
    # left out of the response metrics. The reason is also on the timeline.
    resolution: Mapped[str | None] = mapped_column(String(40))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    drill: Mapped[dict | None] = mapped_column(JSON)  # a response drill's mark and state (core/drills); NULL: real


class ActionItemRow(Base):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(80))
    due: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(80))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IncidentRoleRow(Base):
    __tablename__ = "incident_roles"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(80))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[str | None] = mapped_column(String(80))


class TimelineEntryRow(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_incident_at", "incident_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)

