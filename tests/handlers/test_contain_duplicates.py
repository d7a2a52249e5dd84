"""Issue 23 item 1 through signed Slack requests (fake Slack, moto): the same action on the
same target is never filed twice (typed twice, in two incidents, or a double click of
Request containment), an approved plan is read again before it runs, and a target already
in place is left alone with nothing to undo."""

from __future__ import annotations

import json

import boto3
import pytest

from core.clock import ManualClock
from core.containment.flow import store
from store.audit.repository import SqlAuditRepository
from tests.handlers.test_contain import _incident_with_s3_finding
from tests.handlers.test_evidence import locked_bucket, start as start_with_evidence  # noqa: F401 (fixture)
from tests.support.containment import click, declare, instance, requests, wait_state, workspace
from tests.support.slack import ack_body, all_text, mrkdwn_of, settled

ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
          "RestrictPublicBuckets": True}


@pytest.fixture
def ws(settings, moto_inprocess):
    ws = workspace(settings, ManualClock())
    yield ws
    ws.stop()


@pytest.fixture
def bucket(moto_inprocess):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    return "exposed"


def send(ws, incident, command, text, user="alice"):
    return ws.sender.command(command, text, user=ws.user(user), channel=incident.channel_id)


def filed(ws, incident, text, command="/contain", user="alice"):
    """Send the command and wait for the new request's card."""
    before = len(requests(ws))
    assert ack_body(send(ws, incident, command, text, user)) == {}
    return settled(ws, lambda: len(found := sorted(requests(ws), key=lambda r: r.id)) > before
                   and found[-1].message_ts and found[-1])


def answer(ws, incident, text, command="/contain", user="alice"):
    """Send the command and return the private answer it got."""
    seen = len(ws.fake.calls_to("response_url"))
    send(ws, incident, command, text, user)
    calls = settled(ws, lambda: len(found := ws.fake.calls_to("response_url")) > seen and found)
    return all_text(calls[-1].body)


def card_text(ws, request):
    request = store(ws.services).get(request.id)
    return mrkdwn_of(next(m for m in ws.fake.messages(request.message_channel) if m["ts"] == request.message_ts))


def test_the_same_contain_typed_twice_is_refused_pointing_at_the_pending_request(ws, bucket):
    incident = declare(ws)
    first = filed(ws, incident, f"block-public-s3 {bucket}")
    refused = answer(ws, incident, f"block-public-s3 {bucket}", user="carol")
    assert refused.startswith(f"C{first.id} in incident {incident.label} already covers block-public-s3 exposed; "
                              "approve it there")
    assert [r.id for r in requests(ws)] == [first.id], "nothing new is filed"
    events = [json.loads(r.body) for r in SqlAuditRepository(ws.services.db).records()]
    [audited] = [e for e in events if e.get("covered_by")]
    assert (audited["event"], audited["actor"], audited["covered_by"]) == ("refused", ws.user("carol"), first.id)


def test_a_request_in_another_incident_is_refused_naming_that_incident(ws, bucket):
    first_incident = declare(ws, title="Public bucket")
    first = filed(ws, first_incident, f"block-public-s3 {bucket}")
    second_incident = declare(ws, title="Another view of the same bucket")
    refused = answer(ws, second_incident, f"block-public-s3 {bucket}")
    assert f"C{first.id} in incident {first_incident.label} already covers" in refused
    assert len(requests(ws)) == 1


def test_a_denied_request_frees_its_target_and_an_undone_one_too(ws, bucket):
    incident = declare(ws)
    first = filed(ws, incident, f"block-public-s3 {bucket}")
    click(ws, incident, first.id, user="bob", approve=False, reason="wrong bucket")
    wait_state(ws, first.id, "denied")
    second = filed(ws, incident, f"block-public-s3 {bucket}")
    click(ws, incident, second.id, user="bob")
    wait_state(ws, second.id, "succeeded")
    assert "undo it first: `/contain undo" in answer(ws, incident, f"block-public-s3 {bucket}")
    undo = filed(ws, incident, f"undo {second.id}", user="carol")
    click(ws, incident, undo.id, user="bob")
    wait_state(ws, undo.id, "succeeded")
    third = filed(ws, incident, f"block-public-s3 {bucket}")
    assert third.state == "requested"


def test_a_remediation_is_not_filed_twice_either(ws):
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="mallory")
    iam.create_login_profile(UserName="mallory", Password="Correct-horse-1")
    incident = declare(ws)
    first = filed(ws, incident, "delete-login-profile mallory", command="/remediate")
    refused = answer(ws, incident, "delete-login-profile mallory", command="/remediate", user="carol")
    assert refused.startswith(f"R{first.id} in incident {incident.label} already covers delete-login-profile")
    assert len(requests(ws)) == 1


def test_an_evidence_collection_is_not_filed_twice_while_pending(settings, locked_bucket):
    ws = start_with_evidence(settings)
    try:
        instance_id = instance()[0]
        incident = declare(ws)
        collect = filed(ws, incident, f"collect-instance-data {instance_id}", command="/evidence")
        refused = answer(ws, incident, f"collect-instance-data {instance_id}", command="/evidence")
        assert refused.startswith(f"E{collect.id} in incident {incident.label} already covers "
                                  "collect-instance-data")
        assert len(requests(ws)) == 1
        click(ws, incident, collect.id, user="bob")
        wait_state(ws, collect.id, "succeeded")
        again = filed(ws, incident, f"collect-instance-data {instance_id}", command="/evidence")
        assert again.state == "requested", "a finished collection covers nothing: evidence may be taken again"
    finally:
        ws.stop()


def test_a_double_click_of_request_containment_files_one_request(ws):
    incident = _incident_with_s3_finding(ws)
    send(ws, incident, "/incident", "playbook s3-public-exposure")
    settled(ws, lambda: ws.services.incidents.get(incident.id).playbook_state.get("messages"))
    send(ws, incident, "/incident", "phase containment")
    checklist = settled(ws, lambda: next((m for m in ws.fake.messages(incident.channel_id)
                                         if "contain_from_playbook" in json.dumps(m.get("blocks"))), None))
    [button] = [e for b in checklist["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "contain_from_playbook"]
    seen = len(ws.fake.calls_to("response_url"))
    for _ in range(2):  # two clicks: two Slack acts, each with its own trigger
        ws.sender.block_action(user=ws.user("carol"), channel=incident.channel_id, action_id="contain_from_playbook",
                               value=button["value"])
    refusal = settled(ws, lambda: len(found := ws.fake.calls_to("response_url")) > seen and found[-1])
    [request] = settled(ws, lambda: (found := requests(ws)) and found[0].message_ts and found)
    assert (request.action, request.target) == ("block-public-s3", "acme-finance-exports")
    assert f"C{request.id} in incident {incident.label} already covers" in all_text(refusal.body)


def test_a_target_already_in_place_when_approved_changes_nothing_and_leaves_no_undo(ws, bucket):
    incident = declare(ws)
    request = filed(ws, incident, f"block-public-s3 {bucket}")
    boto3.client("s3", region_name="us-east-1").put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=ALL_ON)  # someone did it by hand meanwhile
    click(ws, incident, request.id, user="bob")
    done = wait_state(ws, request.id, "already-done")
    assert done.memory == {} and done.outcome["summary"].startswith("Already in place when it was to run")
    calls = [e.get("call") for e in SqlAuditRepository(ws.services.db).for_request(request.id)]
    assert "s3:PutPublicAccessBlock" not in calls and "s3:GetPublicAccessBlock" in calls
    text = settled(ws, lambda: "nothing to undo" in (t := card_text(ws, request)) and t)
    assert "Reverse with" not in text
    refused = answer(ws, incident, f"undo {request.id}")
    assert "Only a succeeded request can be undone" in refused
    timeline = [e.text for e in ws.services.incidents.timeline(incident.id) if e.kind == "containment"]
    assert timeline[-1] == f"Containment already done: block-public-s3 {bucket} (C{request.id})"
