"""Tables of containment: requests (one row per request, state guarded by row locks and
conditional updates) and the append-only audit chain with its head row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class ContainRequestRow(Base):
    __tablename__ = "containment_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    undo_of: Mapped[int | None] = mapped_column(ForeignKey("containment_requests.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(300))
    options: Mapped[dict | None] = mapped_column(JSON)
    account: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    plan: Mapped[dict | None] = mapped_column(JSON)
    memory: Mapped[dict | None] = mapped_column(JSON)  # what apply changed, for undo
    outcome: Mapped[dict | None] = mapped_column(JSON)  # summary and verification
    error_code: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    decision_note: Mapped[str | None] = mapped_column(Text)  # why it was denied, as the denier said
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_channel: Mapped[str | None] = mapped_column(String(80))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    # The Slack act that asked for it: a retry on any replica finds this row.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # MACs with keys derived from FIREBREAK_AUDIT_KEY (core/containment/seals.py): the plan as
    # requested, the approval as decided, the memory as apply left it. NULL without a key.
    seal: Mapped[str | None] = mapped_column(String(64))
    approval_seal: Mapped[str | None] = mapped_column(String(64))
    memory_seal: Mapped[str | None] = mapped_column(String(64))
    # What it covers while open or in effect (core.containment.duplicates.cover_key), else
    # NULL: unique, so two requests for the same action and target cannot both be filed.
    covers: Mapped[str | None] = mapped_column(String(64), unique=True)


class AuditEntryRow(Base):
    """Never updated or deleted; `hash` covers `body` and `prev_hash` (keyed or not, see `scheme`)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # How `hash` was made: "sha256" (plain, entries written without FIREBREAK_AUDIT_KEY) or
    # "hmac-sha256" (keyed). See core.audit.chain.
    scheme: Mapped[str] = mapped_column(String(16), default="sha256", server_default="sha256")


class AuditHeadRow(Base):
    """One row: the last seq and hash. Locking it serialises appends across replicas."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
