"""core.reports.ports.ReportQueryRepository over SQLAlchemy: read-only, in batches of ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from core.findings.drill_marks import MARK
from core.incidents.model import ActionItem
from core.reports.ports import ContainmentFact, FindingFact
from store.containment.models import ContainRequestRow
from store.db import Database, utc
from store.findings.models import FindingRow, FindingSnoozeRow
from store.incidents.action_items import _item
from store.models import ActionItemRow

BATCH = 500


class SqlReportQueryRepository:
    def __init__(self, db: Database):
        self.db = db

    def findings_received(self, since: datetime, until: datetime) -> list[FindingFact]:
        with self.db.read() as session:
            rows = session.execute(select(FindingRow.type, FindingRow.source, FindingRow.account, FindingRow.status,
                                          FindingRow.incident_id, FindingRow.tags).where(
                FindingRow.received_at >= since, FindingRow.received_at < until))
            return [FindingFact(*row[:5], drill=MARK in (row[5] or {})) for row in rows]

    def snoozes_set(self, since: datetime, until: datetime) -> int:
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(FindingSnoozeRow).where(
                FindingSnoozeRow.at >= since, FindingSnoozeRow.at < until)) or 0

    def containment_requested(self, since: datetime, until: datetime) -> list[ContainmentFact]:
        with self.db.read() as session:
            rows = session.scalars(select(ContainRequestRow).where(ContainRequestRow.requested_at >= since,
                                                                   ContainRequestRow.requested_at < until)
                                   .order_by(ContainRequestRow.id))
            return [ContainmentFact(r.action, r.state, r.incident_id, utc(r.requested_at), utc(r.decided_at),
                                    bool(r.dry_run), r.undo_of is not None) for r in rows]

    def action_items(self, incident_ids: list[int]) -> list[ActionItem]:
        found: list[ActionItem] = []
        with self.db.read() as session:
            for start in range(0, len(incident_ids), BATCH):
                found += [_item(r) for r in session.scalars(select(ActionItemRow).where(
                    ActionItemRow.incident_id.in_(incident_ids[start:start + BATCH])).order_by(ActionItemRow.id))]
        return found

    def origins(self, incident_ids: list[int]) -> dict[int, tuple[str, str | None]]:
        found: dict[int, tuple[str, str | None]] = {}
        with self.db.read() as session:
            for start in range(0, len(incident_ids), BATCH):
                rows = session.execute(select(FindingRow.incident_id, FindingRow.source, FindingRow.account)
                                       .where(FindingRow.incident_id.in_(incident_ids[start:start + BATCH]))
                                       .order_by(FindingRow.received_at, FindingRow.pk))
                for incident_id, source, account in rows:
                    found.setdefault(incident_id, (source, account))
        return found
