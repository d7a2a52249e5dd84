"""The chain-of-custody manifest in the database (schema owned by migration 0024). Each row
is written with an audit-chain entry in the same transaction, and never updated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.evidence.custody import custody_entry
from core.evidence.model import EvidenceItem
from store.audit.repository import SqlAuditRepository
from store.db import Database, utc
from store.models import Base

FIELDS = ("id", "incident_id", "request_id", "request_label", "action", "kind", "location", "account", "region",
          "sha256", "size", "source", "note", "requested_by", "approved_by")


class EvidenceItemRow(Base):
    __tablename__ = "evidence_items"
    __table_args__ = (UniqueConstraint("request_id", "location", name="uq_evidence_items_request_location"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("containment_requests.id"))
    request_label: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(1400))
    account: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(30))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(80))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    collected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict | None] = mapped_column(JSON)


def _item(row: EvidenceItemRow) -> EvidenceItem:
    return EvidenceItem(**{name: getattr(row, name) for name in FIELDS}, collected_at=utc(row.collected_at),
                        detail=dict(row.detail or {}))


class SqlEvidenceRepository:
    def __init__(self, db: Database, audit: SqlAuditRepository):
        self.db, self.audit = db, audit

    def record(self, rows: list[dict], at: datetime) -> list[EvidenceItem]:
        def insert(session):
            stored = []
            for fields in rows:
                found = session.scalar(select(EvidenceItemRow).where(
                    EvidenceItemRow.request_id == fields["request_id"], EvidenceItemRow.location == fields["location"]))
                if found is None:
                    found = EvidenceItemRow(**fields)
                    session.add(found)
                    session.flush()
                    self.audit.append_in(session, at, {
                        "event": "evidence-recorded", "request": fields["request_id"], "item": found.id,
                        **custody_entry(fields)}, fields["request_id"])
                stored.append(_item(found))
            return stored

        try:
            return self.audit.write(insert)
        except IntegrityError:  # another process recorded the same item meanwhile: read what it stored
            return self.audit.write(insert)

    def for_incident(self, incident_id: int) -> list[EvidenceItem]:
        with self.db.read() as session:
            rows = session.scalars(select(EvidenceItemRow).where(EvidenceItemRow.incident_id == incident_id)
                                   .order_by(EvidenceItemRow.id))
            return [_item(r) for r in rows]
