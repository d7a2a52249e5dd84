"""Containment through signed Slack requests against the fake Slack and moto: the plan
card, approval by a second person, exactly-once execution, undo, and every refusal."""

import json

import boto3
import pytest

from core.clock import ManualClock
from core.containment.config import Approvers
from core.containment.flow import store
from store.audit.repository import SqlAuditRepository
from tests.support.containment import (click, contain, declare, eni_groups, instance, requests, wait_state,
                                   workspace)
from tests.support.slack import ack_body, all_text, mrkdwn_of, settled


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def ws(settings, clock, moto_inprocess):
    ws = workspace(settings, clock)
    yield ws
    ws.stop()


def card(ws, request):
    request = store(ws.services).get(request.id)
    message = next(m for m in ws.fake.messages(request.message_channel) if m["ts"] == request.message_ts)
    return message


def last_answer(ws, before):
    calls = settled(ws, lambda: (found := ws.fake.calls_to("response_url")) and len(found) > before and found)
    return all_text(calls[-1].body)


def requested(ws, incident, text, user="alice"):
    """Send `/contain text` and wait for the new request's card."""
    before = len(requests(ws))
    assert ack_body(contain(ws, incident, text, user=user)) == {}
    return settled(ws, lambda: len(found := sorted(requests(ws), key=lambda r: r.id)) > before
                      and found[-1].message_ts and found[-1])


@pytest.mark.slow
def test_isolate_approve_run_verify_and_undo(ws):
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    request = requested(ws, incident, f"isolate-instance {instance_id}")
    shown = card(ws, request)
    text = mrkdwn_of(shown)
    assert "123456789012" in text and "us-east-1" in text and instance_id in text
    assert "&lt;!channel&gt; web-1" in text and "<!channel>" not in text, "AWS tags must be escaped"
    assert {"contain_approve", "contain_deny"} <= {e["action_id"] for b in shown["blocks"] if b["type"] == "actions"
                                                   for e in b["elements"]}
    assert list(eni_groups(instance_id).values()) == [sorted(groups)], "nothing changes before approval"

    click(ws, incident, request.id, user="bob")
    done = wait_state(ws, request.id, "succeeded")
    assert done.decided_by == ws.user("bob") and done.outcome["verified"]
    assert list(eni_groups(instance_id).values()) == [list(done.memory["isolation"].values())]
    settled(ws, lambda: "Verified" in all_text(card(ws, request)))
    timeline = [e.text for e in ws.services.incidents.timeline(incident.id) if e.kind == "containment"]
    assert [t.split(":")[0] for t in timeline] == ["Containment requested", "Containment approved", "Containment done"]

    ws.sender.command("/incident", "phase eradication", user=ws.user("alice"), channel=incident.channel_id)
    settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "eradication")  # undo = lift-isolation
    undo = requested(ws, incident, f"undo {request.id}", user="carol")
    assert undo.undo_of == request.id and undo.state == "requested"
    click(ws, incident, undo.id, user="bob")
    wait_state(ws, undo.id, "succeeded")
    assert list(eni_groups(instance_id).values()) == [sorted(groups)]
    assert store(ws.services).get(request.id).state == "undone"
    events = [e["event"] for e in SqlAuditRepository(ws.services.db).for_request(request.id)]
    assert events[:4] == ["requested", "approved", "executing", "aws-call"] and "succeeded" in events


def test_requester_cannot_approve_and_unlisted_approver_is_refused(settings, clock, moto_inprocess):
    ws = workspace(settings, clock, approvers=lambda ws: Approvers(default=[ws.user("carol")]))
    try:
        incident = declare(ws)
        bucket = boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed") and "exposed"
        request = requested(ws, incident, f"block-public-s3 {bucket}")
        seen = len(ws.fake.calls_to("response_url"))
        click(ws, incident, request.id, user="alice")
        assert "someone else must approve" in last_answer(ws, seen)
        seen = len(ws.fake.calls_to("response_url"))
        click(ws, incident, request.id, user="bob")
        assert "You may not approve block-public-s3" in last_answer(ws, seen)
        assert store(ws.services).get(request.id).state == "requested"
        click(ws, incident, request.id, user="carol")
        wait_state(ws, request.id, "succeeded")
    finally:
        ws.stop()


def test_unauthorised_requester_is_refused(settings, clock, moto_inprocess):
    ws = workspace(settings, clock, requesters=lambda ws: [ws.user("alice")])
    try:
        incident = declare(ws)
        seen = len(ws.fake.calls_to("response_url"))
        contain(ws, incident, "disable-lambda exfil", user="bob")
        assert "containment.requesters" in last_answer(ws, seen)
        assert requests(ws) == []
    finally:
        ws.stop()


def test_approval_after_expiry_is_refused_and_recorded(ws, clock):
    incident = declare(ws)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    request = requested(ws, incident, "block-public-s3 exposed")
    clock.advance(minutes=31)
    seen = len(ws.fake.calls_to("response_url"))
    click(ws, incident, request.id, user="bob")
    assert "expired" in last_answer(ws, seen)
    assert store(ws.services).get(request.id).state == "expired"


def test_unknown_target_and_access_denied_are_shown_with_the_aws_code(ws, monkeypatch):
    incident = declare(ws)
    seen = len(ws.fake.calls_to("response_url"))
    contain(ws, incident, "isolate-instance i-0123456789abcdef0")
    assert "InvalidInstanceID.NotFound" in last_answer(ws, seen)
    from botocore.exceptions import ClientError

    def denied(self, operation, params):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform lambda:GetFunction"},
                           "ResponseMetadata": {"RequestId": "req-1"}}, operation)

    monkeypatch.setattr("botocore.client.BaseClient._make_api_call", denied)
    seen = len(ws.fake.calls_to("response_url"))
    contain(ws, incident, "disable-lambda exfil")
    shown = last_answer(ws, seen)
    assert "AccessDenied" in shown and "request id req-1" in shown
    assert requests(ws) == []
    refused = [json.loads(r.body) for r in SqlAuditRepository(ws.services.db).records()]
    assert [r["code"] for r in refused] == ["InvalidInstanceID.NotFound", "AccessDenied"]


def test_a_resolved_incident_refuses_new_containment_but_undoes_an_earlier_one(ws):
    incident = declare(ws)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    request = requested(ws, incident, "block-public-s3 exposed")
    click(ws, incident, request.id, user="bob")
    wait_state(ws, request.id, "succeeded")
    ws.sender.command("/incident", "resolve", user=ws.user("alice"), channel=incident.channel_id)
    settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "post-incident")
    seen = len(ws.fake.calls_to("response_url"))
    assert ack_body(contain(ws, incident, "block-public-s3 exposed")) == {}
    shown = last_answer(ws, seen)
    assert f"Incident #{incident.id} is resolved" in shown and "/incident reopen" in shown
    assert [r.id for r in requests(ws)] == [request.id]
    undo = requested(ws, incident, f"undo {request.id}")
    assert undo.undo_of == request.id and undo.state == "requested"


def test_malformed_arguments_get_the_usage_in_the_ack(ws):
    incident = declare(ws)
    body = ack_body(contain(ws, incident, "isolate-instance i-123 --force"))
    assert body["response_type"] == "ephemeral" and "Usage: `/contain isolate-instance" in all_text(body)


def test_a_usage_error_is_shown_exactly_once(ws):
    """The ack answers bad input; the work after the ack never runs for it (it used to parse
    again and post the same error a second time)."""
    incident = declare(ws)
    seen = len(ws.fake.calls_to("response_url"))
    for text in ("isolate-instance i-123 --force", "block-ip not-an-ip", "undo", "launch-missiles x"):
        assert "Usage" in all_text(ack_body(contain(ws, incident, text)))
    contain(ws, incident, "status")  # a valid command after them: its answer is the only one
    answers = ws.fake.wait_for("response_url", count=seen + 1)[seen:]
    assert len(ws.fake.calls_to("response_url")) == seen + 1
    assert "Usage" not in all_text(answers[0].body)


def test_dry_run_posts_the_plan_only(ws):
    incident = declare(ws)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    request = requested(ws, incident, "block-public-s3 exposed --dry-run")
    assert request.state == "planned"
    shown = card(ws, request)
    assert "Dry run" in all_text(shown) and not [b for b in shown["blocks"] if b["type"] == "actions"]


def test_deny_status_and_double_clicks_run_nothing_twice(ws):
    incident = declare(ws)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    denied = requested(ws, incident, "block-public-s3 exposed")
    click(ws, incident, denied.id, user="bob", approve=False)
    wait_state(ws, denied.id, "denied")
    approved = requested(ws, incident, "block-public-s3 exposed")
    seen = len(ws.fake.calls_to("response_url"))
    for n in range(3):  # a triple click, then Slack's retry of one of those requests
        ws.sender.block_action(user=ws.user("bob"), channel=incident.channel_id, value=str(approved.id),
                               action_id="contain_approve", trigger_id=f"click-{n}")
    reply = ws.sender.block_action(user=ws.user("bob"), channel=incident.channel_id, value=str(approved.id),
                                   action_id="contain_approve", trigger_id="click-1", retry_num=1)
    assert reply.status == 200
    wait_state(ws, approved.id, "succeeded")
    refused = ws.fake.wait_for("response_url", count=seen + 2)[seen:]
    assert all("already" in all_text(c.body) for c in refused)
    events = [e["event"] for e in SqlAuditRepository(ws.services.db).for_request(approved.id)]
    assert events.count("executing") == 1 and events.count("succeeded") == 1
    assert ws.settle()  # the retry, had it run, would have answered by now
    assert len(ws.fake.calls_to("response_url")) == seen + 2
    seen = len(ws.fake.calls_to("response_url"))
    contain(ws, incident, "status")
    shown = last_answer(ws, seen)
    assert f"C{denied.id}" in shown and "denied" in shown and "succeeded" in shown


def test_auto_approved_actions_run_without_a_second_person(settings, clock, moto_inprocess):
    ws = workspace(settings, clock, auto_approve=["block-public-s3"])
    try:
        incident = declare(ws)
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
        request = requested(ws, incident, "block-public-s3 exposed")
        done = wait_state(ws, request.id, "succeeded")
        assert done.decided_by == "config:auto_approve"
        settled(ws, lambda: "configuration (auto-approve)" in all_text(card(ws, request)))
    finally:
        ws.stop()


def test_an_unconfigured_account_is_refused_before_anything_runs(ws):
    incident = declare(ws)
    seen = len(ws.fake.calls_to("response_url"))
    contain(ws, incident, "disable-lambda exfil --account 999999999999")
    assert "Account 999999999999 is not configured" in last_answer(ws, seen)
    assert requests(ws) == []


def _incident_with_s3_finding(ws, account="123456789012"):
    """An incident linked to the GuardDuty S3 exfiltration fixture (us-west-2, acme-finance-exports),
    as reported in `account` (Firebreak's own under moto unless told otherwise)."""
    import json as jsonlib

    from core.findings import triage
    from core.findings.intake import ingest_report
    from store.findings.repository import SqlFindingRepository
    from tests.conftest import REPO

    incident = declare(ws)
    path = REPO / "tests" / "core" / "findings" / "fixtures" / "guardduty" / "gd_eventbridge_s3_exfiltration.json"
    document = path.read_text().replace("444455556666", account)
    ingest_report(ws.services, str(path), document)
    stored = SqlFindingRepository(ws.services.db).by_finding_id(jsonlib.loads(document)["detail"]["id"])
    triage.link_to_incident(ws.services, stored.pk, incident.id, ws.user("alice"))
    boto3.client("s3", region_name="us-west-2").create_bucket(
        Bucket="acme-finance-exports", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return incident


def test_region_comes_from_the_incidents_finding_when_not_given(ws):
    incident = _incident_with_s3_finding(ws)
    request = requested(ws, incident, "block-public-s3 acme-finance-exports --dry-run")
    assert (request.account, request.region) == ("123456789012", "us-west-2")
    shown = all_text(card(ws, request))
    assert "us-west-2\n_the bucket's own (S3 names are global)_" in shown  # issue 11 item 12
    assert "123456789012\n_from the incident's finding_" in shown


def test_a_finding_from_an_account_firebreak_does_not_manage_is_never_acted_on_at_home(ws):
    """The finding names account 444455556666, which is neither configured nor Firebreak's own:
    a bucket of the same name at home must not be touched, and the refusal says where it looked."""
    incident = _incident_with_s3_finding(ws, account="444455556666")
    seen = len(ws.fake.calls_to("response_url"))
    before = len(requests(ws))
    contain(ws, incident, "block-public-s3 acme-finance-exports")
    [refusal] = [c.body for c in ws.fake.wait_for("response_url", count=seen + 1)[seen:]]
    text = all_text(refusal)
    assert "444455556666 is not configured" in text and "from the incident's finding" in text
    assert "us-west-2 from the incident's finding" in text
    assert len(requests(ws)) == before


def test_a_playbook_step_requests_containment_with_a_button(ws):
    import json as jsonlib

    incident = _incident_with_s3_finding(ws)
    ws.sender.command("/incident", "playbook s3-public-exposure", user=ws.user("alice"), channel=incident.channel_id)
    settled(ws, lambda: ws.services.incidents.get(incident.id).playbook_state.get("messages"))
    ws.sender.command("/incident", "phase containment", user=ws.user("alice"), channel=incident.channel_id)
    checklist = settled(ws, lambda: next((m for m in ws.fake.messages(incident.channel_id)
                                         if "contain_from_playbook" in jsonlib.dumps(m.get("blocks"))), None))
    [button] = [e for b in checklist["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "contain_from_playbook"]
    before = len(requests(ws))
    ws.sender.block_action(user=ws.user("carol"), channel=incident.channel_id, action_id="contain_from_playbook",
                           value=button["value"])
    request = settled(ws, lambda: len(found := requests(ws)) > before and found[-1])
    assert (request.action, request.target, request.region, request.requested_by) == \
        ("block-public-s3", "acme-finance-exports", "us-west-2", ws.user("carol"))
    assert request.state == "requested"  # still needs a second person's approval


def test_a_linked_findings_contain_menu_files_a_request_in_its_incident(ws):
    import json as jsonlib

    incident = _incident_with_s3_finding(ws)
    message = settled(ws, lambda: next((m for m in ws.fake.messages("security-triage")
                                       if "contain_from_finding" in jsonlib.dumps(m.get("blocks"))), None))
    [menu] = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "contain_from_finding"]
    labels = [o["text"]["text"] for o in menu["options"]]
    assert "block-public-s3 acme-finance-exports" in labels and "block-ip 45.134.26.12" in labels
    chosen = menu["options"][labels.index("block-public-s3 acme-finance-exports")]
    before = len(requests(ws))
    ws.sender.block_action(user=ws.user("carol"), channel=ws.channel("security-triage"),
                           action_id="contain_from_finding", selected=chosen)
    request = settled(ws, lambda: len(found := requests(ws)) > before and found[-1])
    assert (request.action, request.target, request.region, request.incident_id, request.state) == \
        ("block-public-s3", "acme-finance-exports", "us-west-2", incident.id, "requested")


def test_deny_asks_why_and_the_reason_is_on_the_card_and_the_timeline(ws):
    """Issue 11 item 17: the reason is optional, escaped, and shown where people look."""
    incident = declare(ws)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    request = requested(ws, incident, "block-public-s3 exposed")
    click(ws, incident, request.id, user="bob", approve=False, reason="Prod bucket <!here>; ask the owner first")
    denied = wait_state(ws, request.id, "denied")
    assert denied.decision_note == "Prod bucket <!here>; ask the owner first"
    form = ws.fake.calls_to("views.open")[-1].body["view"]
    assert form["callback_id"] == "contain_deny_reason" and form["private_metadata"] == str(request.id)
    shown = card(ws, denied)
    assert "ask the owner first" in all_text(shown) and "<!here>" not in json.dumps(shown)
    [entry] = [e for e in ws.services.incidents.timeline(incident.id) if e.data.get("step") == "denied"]
    assert entry.text.endswith("— Prod bucket <!here>; ask the owner first")
    other = requested(ws, incident, "block-public-s3 exposed")
    click(ws, incident, other.id, user="bob", approve=False)  # no reason given: still denied
    assert wait_state(ws, other.id, "denied").decision_note is None


def test_a_second_identical_request_is_refused_with_a_pointer_to_the_one_in_effect(ws):
    """Issue 11 item 4, as issue 23 item 1 changed it: while the first request is in effect a
    second one is refused, pointing at the request to undo (nothing is filed, nothing runs)."""
    incident = declare(ws)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    first = requested(ws, incident, "block-public-s3 exposed")
    click(ws, incident, first.id)
    wait_state(ws, first.id, "succeeded")
    seen = len(ws.fake.calls_to("response_url"))
    contain(ws, incident, "block-public-s3 exposed")
    answer = last_answer(ws, seen)
    assert f"C{first.id} in incident {incident.label} already covers block-public-s3 exposed" in answer
    assert f"/contain undo {first.id}" in answer
    assert [r.id for r in requests(ws)] == [first.id]
