"""The evidence manifest table: the model matches migration 0024, an item is recorded once
per request and location (a retry adds nothing), and each row has its audit-chain entry."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.clock import ManualClock
from store.containment.repository import SqlContainmentRepository
from store.audit.repository import SqlAuditRepository
from store.db import Database
from store.evidence.repository import SqlEvidenceRepository
from store.incidents.repository import SqlIncidentRepository
from store.models import Base

T0 = ManualClock().now()


def test_models_match_the_migration(clean_db):
    db = Database(clean_db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "evidence_items" in repr(d)] == []
    db.dispose()


def test_items_are_recorded_once_with_their_audit_entry(clean_db):
    db = Database(clean_db)
    audit = SqlAuditRepository(db)
    incident, _ = SqlIncidentRepository(db).create(title="t", severity="sev2", category="other", declared_by="U1",
                                                   at=T0, origin_channel=None, dedup_key=None, timeline_text="t")
    request, _ = SqlContainmentRepository(db, audit).create(dict(
        incident_id=incident.id, action="collect-instance-data", target="i-0123456789abcdef0", options={},
        account="123456789012", region="us-east-1", state="succeeded", requested_by="U1", requested_at=T0,
        expires_at=T0, plan={}), {"event": "requested"}, T0)
    row = dict(incident_id=incident.id, request_id=request.id, request_label=request.label,
               action="collect-instance-data", kind="object", location="s3://firebreak-evidence-x/k?versionId=v1",
               account="123456789012", region="us-east-1", sha256="ab" * 32, size=10, source="ec2 instance",
               note="hashed as written", requested_by="U1", approved_by="U2", collected_at=T0,
               detail={"bucket": "firebreak-evidence-x", "key": "k", "version_id": "v1"})
    repo = SqlEvidenceRepository(db, audit)
    [first] = repo.record([row], T0)
    [again] = repo.record([row], T0)
    assert first == again and first.version_id == "v1" and first.request_label == f"E{request.id}"
    assert repo.for_incident(incident.id) == [first]
    recorded = [e for e in audit.for_request(request.id) if e["event"] == "evidence-recorded"]
    assert len(recorded) == 1 and recorded[0]["sha256"] == "ab" * 32
    db.dispose()
