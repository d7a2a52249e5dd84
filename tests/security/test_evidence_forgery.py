"""Issue 22 item 7: a forged chain-of-custody manifest row does not pass `evidence verify`.

The audit entry written with each row holds the bucket, key, version id and SHA-256; verify
checks every row against its chained entry before re-hashing, so pointing a row at other
bytes (whose hash the forger computed) or inserting a row with no entry is a MISMATCH."""

from __future__ import annotations

import hashlib

import boto3
import pytest
from sqlalchemy import insert, update

from core.evidence import custody
from store.evidence.repository import EvidenceItemRow
from tests.e2e.test_evidence_verify import BUCKET, collect, run, services  # noqa: F401 - the fixture
from tests.support.containment import instance

pytestmark = pytest.mark.slow


def _collected(services):
    instance_id, *_ = instance()
    incident, _ = services.incidents.create(title="Miner", severity="sev2", category="other", declared_by="U0ALICE",
                                            at=services.clock.now(), origin_channel=None, dedup_key=None,
                                            timeline_text="declared")
    collect(services, "collect-instance-data", instance_id, incident, "k1")
    [item] = custody.manifest(services, incident.id)
    return incident, item


def test_the_audit_entry_of_a_manifest_row_holds_bucket_key_version_and_hash(services):
    _, item = _collected(services)
    [entry] = [e for e in services.repos.audit.for_request(item.request_id) if e["event"] == "evidence-recorded"]
    assert (entry["bucket"], entry["key"], entry["version_id"], entry["sha256"]) == (
        BUCKET, item.detail["key"], item.version_id, item.sha256)


def test_a_manifest_row_pointed_at_other_bytes_with_their_hash_is_a_mismatch(services, capsys):
    incident, item = _collected(services)
    forged = b'{"instance": "nothing to see here"}'
    version = boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=BUCKET, Key="forged/instance-data.json", Body=forged, ChecksumAlgorithm="SHA256")["VersionId"]
    with services.db.session() as session:  # both places verify compared before: the row and S3
        session.execute(update(EvidenceItemRow).where(EvidenceItemRow.id == item.id).values(
            sha256=hashlib.sha256(forged).hexdigest(), size=len(forged),
            location=f"s3://{BUCKET}/forged/instance-data.json?versionId={version}",
            detail={**item.detail, "key": "forged/instance-data.json", "version_id": version}))
    code, out, err = run(capsys, "evidence", "verify", str(incident.id))
    assert code == 1, out
    assert "MISMATCH" in out and "differs from its audit entry" in out
    assert "sha256" in out and "key" in out and "version_id" in out


def test_a_manifest_row_with_no_audit_entry_is_refused(services, capsys):
    incident, item = _collected(services)
    with services.db.session() as session:
        session.execute(insert(EvidenceItemRow).values(
            incident_id=incident.id, request_id=item.request_id, request_label=item.request_label,
            action=item.action, kind="object", location=f"s3://{BUCKET}/planted.json", account=item.account,
            region=item.region, sha256="0" * 64, size=2, source="planted", note="", requested_by="U0ALICE",
            approved_by="U0BOB", collected_at=item.collected_at, detail={"bucket": BUCKET, "key": "planted.json"}))
    code, out, _ = run(capsys, "evidence", "verify", str(incident.id))
    assert code == 1
    [planted] = [line for line in out.splitlines() if "planted.json" in line]
    assert planted.startswith("MISMATCH") and "no audit-chain entry records this manifest row" in planted
    assert "SHA-256 matches" in out, "the genuine row still verifies"
