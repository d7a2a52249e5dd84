"""Read-only view of the findings linked to an incident, for playbooks, postmortems and
metrics (findings intake owns writing them)."""

from __future__ import annotations


from sqlalchemy import select

from core.findings.ports import LinkedFinding
from store.db import Database
from store.findings.models import FindingRow



def linked_findings(db: Database, incident_id: int) -> list[LinkedFinding]:
    with db.read() as session:
        rows = session.scalars(select(FindingRow).where(FindingRow.incident_id == incident_id)
                               .order_by(FindingRow.first_seen, FindingRow.pk))
        return [LinkedFinding(r.finding_id, r.type, r.title, r.severity, r.first_seen, r.account, r.region,
                              list(r.resources or []), dict(r.indicators or {})) for r in rows]
