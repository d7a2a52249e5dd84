"""A crash between approval and execution: an approved request is resumed exactly once;
a request left executing by a dead process is marked failed-unknown, never re-run."""

from datetime import datetime, timezone

import boto3

from core.containment import executor
from core.containment.flow import store
from core.containment.model import APPROVED, EXECUTING
from tests.support.containment import workspace
from tests.support.slack import settled

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def stored(ws, incident_id, state, bucket):
    fields = dict(incident_id=incident_id, action="block-public-s3", target=bucket, options={},
                  account="123456789012", region="us-east-1", state=state, dry_run=False, requested_by="UALICE",
                  requested_at=AT, expires_at=AT, decided_by="UBOB", decided_at=AT,
                  plan={"current": [], "changes": [], "facts": {}})
    return store(ws.services).create(fields, {"event": "requested"}, AT)[0]


def test_restart_resumes_approved_and_settles_abandoned_runs(settings, moto_inprocess):
    s3 = boto3.client("s3", region_name="us-east-1")
    for bucket in ("resume-me", "left-running"):
        s3.create_bucket(Bucket=bucket)
    ws = workspace(settings)
    try:
        incident = ws.services.incidents.create(title="t", severity="sev2", category="other", declared_by="UALICE",
                                                at=AT, origin_channel=None, dedup_key=None, timeline_text="t")[0]
        approved = stored(ws, incident.id, APPROVED, "resume-me")
        abandoned = stored(ws, incident.id, EXECUTING, "left-running")
        catalog = ws.services.catalog
        changed = executor.recover(ws.services, catalog)
        assert sorted((r.id, r.state) for r in changed) == [(approved.id, "succeeded"), (abandoned.id, "failed-unknown")]
        assert "not re-run automatically" in store(ws.services).get(abandoned.id).error
        assert s3.get_public_access_block(Bucket="resume-me")["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
        assert executor.recover(ws.services, catalog) == [], "a second sweep finds nothing to do"
        settled(ws, lambda: any(e.kind == "containment" for e in ws.services.incidents.timeline(incident.id)))
    finally:
        ws.stop()
