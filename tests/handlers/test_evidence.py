"""/evidence through signed Slack requests against the fake Slack and moto: collect-instance-data
from command to card to a second person's approval to an object in the Object Lock bucket, and
`/evidence list` showing it with its SHA-256 and version id; auto-approval by configuration;
an undo of evidence refused in plain words."""

from __future__ import annotations

import dataclasses
import hashlib

import boto3
import pytest

from composition import local_workspace
from core.clock import ManualClock
from core.containment.flow import store
from core.evidence import custody
from store.audit.repository import SqlAuditRepository
from tests.support.containment import click, declare, instance, requests, wait_state
from tests.support.slack import ack_body, all_text, mrkdwn_of, settled

BUCKET = "firebreak-evidence-slack"


def configured(settings, **containment):
    cfg = settings.config
    return dataclasses.replace(settings, config=cfg.model_copy(update={
        "evidence": cfg.evidence.model_copy(update={"bucket": BUCKET}),
        "containment": cfg.containment.model_copy(update=containment)}))


def start(settings, **containment):
    return local_workspace(settings, clock=ManualClock(), threads=4,
                           adjust=lambda current, ws: configured(current, **containment))


@pytest.fixture
def locked_bucket(moto_inprocess):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}})
    return s3


def evidence(ws, incident, text, user="alice"):
    return ws.sender.command("/evidence", text, user=ws.user(user), channel=incident.channel_id)


def requested(ws, incident, text, user="alice"):
    before = len(requests(ws))
    assert ack_body(evidence(ws, incident, text, user=user)) == {}
    return settled(ws, lambda: len(found := sorted(requests(ws), key=lambda r: r.id)) > before
                   and found[-1].message_ts and found[-1])


def answer_to(ws, incident, text, user="alice"):
    before = len(ws.fake.calls_to("response_url"))
    reply = evidence(ws, incident, text, user=user)
    calls = settled(ws, lambda: (found := ws.fake.calls_to("response_url")) and len(found) > before and found)
    return reply, calls[-1].body


@pytest.mark.slow
def test_collect_instance_data_approved_by_a_second_person_lands_in_the_bucket_and_the_manifest(
        settings, locked_bucket):
    ws = start(settings)
    try:
        instance_id, *_ = instance()
        incident = declare(ws)
        request = requested(ws, incident, f"collect-instance-data {instance_id}")
        assert request.label == f"E{request.id}" and request.state == "requested"
        card = next(m for m in ws.fake.messages(request.message_channel) if m["ts"] == request.message_ts)
        shown = mrkdwn_of(card)
        assert "Object Lock COMPLIANCE" in shown and f"instance-data-{instance_id}.json" in shown
        assert "&lt;!channel&gt; web-1" in shown and "<!channel>" not in shown
        assert locked_bucket.list_object_versions(Bucket=BUCKET).get("Versions") is None, "nothing before approval"

        click(ws, incident, request.id, user="bob")
        done = wait_state(ws, request.id, "succeeded")
        assert done.decided_by == ws.user("bob") and done.outcome["verified"]
        [version] = locked_bucket.list_object_versions(Bucket=BUCKET)["Versions"]
        key = f"incident-{incident.id}/{request.label}/instance-data-{instance_id}.json"
        assert version["Key"] == key
        body = locked_bucket.get_object(Bucket=BUCKET, Key=key, VersionId=version["VersionId"])["Body"].read()
        digest = hashlib.sha256(body).hexdigest()

        [item] = custody.manifest(ws.services, incident.id)
        assert (item.sha256, item.version_id, item.requested_by, item.approved_by) == (
            digest, version["VersionId"], ws.user("alice"), ws.user("bob"))
        events = [e["event"] for e in SqlAuditRepository(ws.services.db).for_request(request.id)]
        assert "evidence-recorded" in events and events.index("succeeded") < events.index("evidence-recorded")
        kinds = {e.kind for e in ws.services.incidents.timeline(incident.id)}
        assert "evidence" in kinds and "containment" not in kinds
        texts = [e.text for e in ws.services.incidents.timeline(incident.id) if e.kind == "evidence"]
        assert f"Evidence recorded in the chain of custody: 1 item(s), 1 with a SHA-256 ({request.label} " \
               f"collect-instance-data {instance_id})" in texts

        reply, listed = answer_to(ws, incident, "list", user="carol")
        assert ack_body(reply) == {}
        text = all_text(listed)
        assert digest in text and version["VersionId"] in text and request.label in text
        assert f"<@{ws.user('alice')}>" in text and f"<@{ws.user('bob')}>" in text
        assert listed.get("response_type") == "ephemeral"
    finally:
        ws.stop()


def test_auto_approve_runs_collect_instance_data_without_a_second_person(settings, locked_bucket):
    ws = start(settings, auto_approve=["collect-instance-data"])
    try:
        instance_id, *_ = instance()
        incident = declare(ws)
        request = requested(ws, incident, f"collect-instance-data {instance_id}")
        done = wait_state(ws, request.id, "succeeded")
        assert done.decided_by == "config:auto_approve"
        [item] = custody.manifest(ws.services, incident.id)
        assert item.approved_by == "config:auto_approve"
        _, listed = answer_to(ws, incident, "list")
        assert "configuration (auto-approve)" in all_text(listed)
    finally:
        ws.stop()


def test_evidence_cannot_be_undone_and_list_is_empty_before_anything_is_collected(settings, locked_bucket):
    ws = start(settings, auto_approve=["collect-instance-data"])
    try:
        instance_id, *_ = instance()
        incident = declare(ws)
        _, listed = answer_to(ws, incident, "list")
        assert "Nothing collected yet" in all_text(listed)
        request = requested(ws, incident, f"collect-instance-data {instance_id}")
        wait_state(ws, request.id, "succeeded")
        _, refused = answer_to(ws, incident, f"undo {request.id}")
        assert "cannot be undone" in all_text(refused) and "evidence is kept" in all_text(refused)
        assert [r.id for r in requests(ws)] == [request.id], "no undo request was filed"
        assert store(ws.services).get(request.id).state == "succeeded"
    finally:
        ws.stop()
