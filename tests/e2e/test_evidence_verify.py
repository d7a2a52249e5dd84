"""`python bot.py evidence verify INCIDENT` and `export`: each collected item re-checked against
its chain-of-custody manifest (objects re-hashed at their recorded version id, snapshots by id
and tags); an altered object version is a MISMATCH, a deleted snapshot MISSING, exit code 1;
the manifest is in the postmortem (md) and the json export."""

from __future__ import annotations

import dataclasses
import json

import boto3
import pytest
from moto.s3.models import s3_backends

import bot
from composition import build_services
from core.clock import ManualClock
from core.containment import service as containment
from core.containment.parse import command_for
from core.evidence import custody
from core.nulls import NoChat, NoNotifier
from tests.support.containment import instance

pytestmark = pytest.mark.slow
BUCKET = "firebreak-evidence-verify"


@pytest.fixture
def services(settings, moto_inprocess, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.secrets.database_url)
    monkeypatch.delenv("FIREBREAK_CONFIG", raising=False)
    cfg = settings.config
    configured = dataclasses.replace(settings, config=cfg.model_copy(update={
        "evidence": cfg.evidence.model_copy(update={"bucket": BUCKET}),
        "containment": cfg.containment.model_copy(update={
            "auto_approve": ["collect-instance-data", "collect-disk"]})}))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}})
    services = build_services(configured, clock=ManualClock(), chat=NoChat(), notifier=NoNotifier())
    yield services
    services.drain()


def collect(services, action, target, incident, key):
    command = command_for(action, target, incident=str(incident.id))
    done = containment.submit(services, actor="U0ALICE", channel=None, command=command, dedup_key=key)
    assert done.state == "succeeded", (done.state, done.error)
    return done


def run(capsys, *args):
    code = bot.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def alter(item, body: bytes, *, with_s3_checksum: bool):
    """What Object Lock is there to prevent: the bytes of that exact version replaced (only
    moto's backend can do it). With S3's stored checksum rewritten too, or left as it was."""
    versions = s3_backends["123456789012"]["aws"].buckets[BUCKET].keys.getlist(item.detail["key"])
    [stored] = [v for v in versions if v.version_id == item.version_id]
    stored.value = body
    if with_s3_checksum:
        import base64
        import hashlib
        stored.checksum_value = base64.b64encode(hashlib.sha256(body).digest()).decode()


@pytest.mark.parametrize("with_s3_checksum", [True, False])
def test_verify_passes_then_finds_the_altered_object_and_the_deleted_snapshot(services, capsys, with_s3_checksum):
    instance_id, *_ = instance()
    incident, _ = services.incidents.create(title="Miner", severity="sev2", category="other", declared_by="U0ALICE",
                                            at=services.clock.now(), origin_channel=None, dedup_key=None,
                                            timeline_text="declared")
    collect(services, "collect-instance-data", instance_id, incident, "k1")
    collect(services, "collect-disk", instance_id, incident, "k2")
    items = custody.manifest(services, incident.id)
    assert [i.kind for i in items] == ["object", "snapshot"]
    document, snapshot = items

    code, out, err = run(capsys, "evidence", "verify", str(incident.id))
    assert code == 0, err
    assert f"OK               E" in out and document.location in out and "SHA-256 matches" in out
    assert "NOT RE-HASHABLE" in out and snapshot.detail["snapshot_id"] in out
    assert "matches its manifest: 1 OK, 1 NOT RE-HASHABLE" in out

    # Another version at the same key changes nothing: verify reads the recorded version id.
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=BUCKET, Key=document.detail["key"], Body=b"{}",
                                                           ChecksumAlgorithm="SHA256")
    assert run(capsys, "evidence", "verify", str(incident.id))[0] == 0

    alter(document, b'{"instance": "nothing to see here"}', with_s3_checksum=with_s3_checksum)
    boto3.client("ec2", region_name="us-east-1").delete_snapshot(SnapshotId=snapshot.detail["snapshot_id"])
    code, out, err = run(capsys, "evidence", "verify", str(incident.id))
    assert code == 1
    assert f"MISMATCH         {document.request_label} collect-instance-data {document.location}" in out
    assert ("SHA-256 now" in out) if with_s3_checksum else ("S3's own stored checksum" in out)
    assert f"MISSING          {snapshot.request_label} collect-disk" in out
    assert "does not match its manifest (1 MISMATCH, 1 MISSING)" in err


def test_export_and_postmortem_carry_the_manifest(services, capsys):
    instance_id, *_ = instance()
    incident, _ = services.incidents.create(title="Miner", severity="sev2", category="other", declared_by="U0ALICE",
                                            at=services.clock.now(), origin_channel=None, dedup_key=None,
                                            timeline_text="declared")
    collect(services, "collect-instance-data", instance_id, incident, "k1")
    [item] = custody.manifest(services, incident.id)
    code, out, _ = run(capsys, "export", str(incident.id), "--format", "json")
    assert code == 0
    [exported] = json.loads(out)["evidence"]
    assert (exported["sha256"], exported["version_id"], exported["approved_by"]) == (
        item.sha256, item.version_id, "config:auto_approve")
    code, out, _ = run(capsys, "export", str(incident.id), "--format", "md")
    section = out.split("## Evidence (chain of custody)")[1].split("## Action items")[0]
    assert item.sha256 in section and item.request_label in section and "evidence verify" in section


def test_verify_of_an_unknown_incident_or_bad_number_says_so(services, capsys):
    assert run(capsys, "evidence", "verify", "abc")[0] == 1
    code, _, err = run(capsys, "evidence", "verify", "999")
    assert code == 1 and "no incident 999" in err
