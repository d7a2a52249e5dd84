"""Approving and denying a containment request from the browser: the same two-person rule,
approver lists and audit as the Slack buttons, and an approved request runs in moto."""

from __future__ import annotations

import pytest

from core.clock import ManualClock
from core.containment.config import Approvers
from store.audit.repository import SqlAuditRepository
from tests.support.browser_view import UiClient
from tests.support.containment import contain, declare, eni_groups, instance, requests, wait_state, workspace
from tests.support.slack import ack_body, all_text, settled


@pytest.fixture
def ws(settings, moto_inprocess):
    ws = workspace(settings, ManualClock())
    yield ws
    ws.stop()


def requested(ws, incident, text, user="alice"):
    before = len(requests(ws))
    assert ack_body(contain(ws, incident, text, user=user)) == {}
    return settled(ws, lambda: len(found := sorted(requests(ws), key=lambda r: r.id)) > before
                   and found[-1].message_ts and found[-1])


def test_a_second_person_approves_in_the_browser_and_it_runs_in_moto(ws):
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    request = requested(ws, incident, f"isolate-instance {instance_id}")
    page_path = f"/ui/incidents/{incident.id}"

    alice = UiClient(ws).sign_in("alice")
    own = alice.submit(page_path, f"/ui/requests/{request.id}/approve", {})
    refusal = alice.get(own.headers["Location"]).get_data(as_text=True)
    assert 'class="flash error"' in refusal and "two-person rule" in refusal
    assert ws.services.repos.containment.get(request.id).state == "requested"
    assert list(eni_groups(instance_id).values()) == [sorted(groups)], "the requester cannot approve alone"

    bob = UiClient(ws).sign_in("bob")
    assert f'id="approve-{request.id}"' in bob.get(page_path).get_data(as_text=True)
    answer = bob.submit(page_path, f"/ui/requests/{request.id}/approve", {})
    assert answer.status_code == 302
    done = wait_state(ws, request.id, "succeeded")
    assert done.decided_by == ws.user("bob") and done.outcome["verified"]
    assert list(eni_groups(instance_id).values()) == [list(done.memory["isolation"].values())]
    page = bob.get(page_path).get_data(as_text=True)
    assert f"{request.label}: succeeded." in page and f'id="approve-{request.id}"' not in page
    approved = [all_text(m) for m in ws.fake.messages(incident.channel_id) if "Containment approved" in all_text(m)]
    assert len(approved) == 1, "the browser's decision is posted in the channel once"
    events = [e["event"] for e in SqlAuditRepository(ws.services.db).for_request(request.id)]
    assert events[:3] == ["requested", "approved", "executing"] and "succeeded" in events
    refused = [e for e in SqlAuditRepository(ws.services.db).for_request(request.id) if e["event"] != "requested"
               and e.get("actor") == ws.user("alice")]
    assert not [e for e in refused if e["event"] == "approved"], "alice's own approval was never recorded as one"


def test_only_a_named_approver_may_approve_in_the_browser(settings, moto_inprocess):
    ws = workspace(settings, ManualClock(), approvers=lambda w: Approvers(default=[w.user("carol")]))
    try:
        instance_id, _, _, _ = instance()
        incident = declare(ws)
        request = requested(ws, incident, f"isolate-instance {instance_id}")
        bob = UiClient(ws).sign_in("bob")
        refused = bob.submit(f"/ui/incidents/{incident.id}", f"/ui/requests/{request.id}/approve", {})
        assert "You may not approve" in bob.get(refused.headers["Location"]).get_data(as_text=True)
        assert ws.services.repos.containment.get(request.id).state == "requested"
        carol = UiClient(ws).sign_in("carol")
        carol.submit(f"/ui/incidents/{incident.id}", f"/ui/requests/{request.id}/deny", {"reason": "wrong host"})
        denied = ws.services.repos.containment.get(request.id)
        assert denied.state == "denied" and denied.decision_note == "wrong host"
    finally:
        ws.stop()


def test_approved_in_the_browser_while_slack_is_down_runs_and_is_posted_once_slack_is_back(ws):
    from core.browser import changes

    instance_id, _, _, _ = instance()
    incident = declare(ws)
    request = requested(ws, incident, f"isolate-instance {instance_id}")
    bob = UiClient(ws).sign_in("bob")
    form = bob.token(f"/ui/incidents/{incident.id}")
    ws.fake.outage(500)
    assert bob.post(f"/ui/requests/{request.id}/approve", {"csrf_token": form}).status_code == 302
    done = wait_state(ws, request.id, "succeeded")
    assert done.decided_by == ws.user("bob") and done.outcome["verified"], "AWS does not need Slack"

    def posted():
        return [all_text(m) for m in ws.fake.messages(incident.channel_id) if "Containment approved" in all_text(m)]

    ws.fake.outage(None)
    assert posted() == []
    assert changes.deliver_pending(ws.services) >= 1
    assert changes.deliver_pending(ws.services) == 0
    assert len(posted()) == 1
    card = next(m for m in ws.fake.messages(done.message_channel) if m["ts"] == done.message_ts)
    assert "Verified" in all_text(card), "the request's card catches up too"


def test_the_evidence_manifest_with_its_hashes_and_verify(ws):
    import hashlib

    import boto3

    incident = declare(ws)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="firebreak-evidence-ui")
    s3.put_bucket_versioning(Bucket="firebreak-evidence-ui", VersioningConfiguration={"Status": "Enabled"})
    content = b"memory image of i-0123456789abcdef0"
    version = s3.put_object(Bucket="firebreak-evidence-ui", Key="mem.lime", Body=content)["VersionId"]
    now, repos = ws.services.clock.now(), ws.services.repos
    request, _ = repos.containment.create(dict(
        incident_id=incident.id, action="collect-instance-data", target="i-0123456789abcdef0", options={},
        account="123456789012", region="us-east-1", state="succeeded", requested_by=ws.user("alice"),
        requested_at=now, expires_at=now, plan={}), {"event": "requested"}, now)
    digest = hashlib.sha256(content).hexdigest()
    repos.evidence.record([dict(
        incident_id=incident.id, request_id=request.id, request_label=request.label, action="collect-instance-data",
        kind="object", location=f"s3://firebreak-evidence-ui/mem.lime?versionId={version}", account="123456789012",
        region="us-east-1", sha256=digest, size=len(content), source="ec2 instance", note="hashed as written",
        requested_by=ws.user("alice"), approved_by=ws.user("bob"), collected_at=now,
        detail={"bucket": "firebreak-evidence-ui", "key": "mem.lime", "version_id": version})], now)

    bob = UiClient(ws).sign_in("bob")
    page = bob.get(f"/ui/incidents/{incident.id}").get_data(as_text=True)
    assert digest in page and "Verify against the manifest" in page
    checked = bob.submit(f"/ui/incidents/{incident.id}", f"/ui/incidents/{incident.id}/evidence/verify", {})
    verdicts = checked.get_data(as_text=True)
    assert checked.status_code == 200 and 'id="verdicts"' in verdicts
    shown = verdicts.split('id="verdicts"')[1].split("</ul>")[0]
    assert "<strong>OK</strong>" in shown and "MISMATCH" not in shown and "mem.lime" in shown
    s3.delete_object(Bucket="firebreak-evidence-ui", Key="mem.lime", VersionId=version)  # the evidence is gone
    again = bob.submit(f"/ui/incidents/{incident.id}", f"/ui/incidents/{incident.id}/evidence/verify", {})
    assert "<strong>MISSING</strong>" in again.get_data(as_text=True).split('id="verdicts"')[1]
