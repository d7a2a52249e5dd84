"""GuardDuty attack sequences over the real HTTP intake (EventBridge API destination): one
sequence declares one sev1 incident whose timeline starts with its signals, oldest first,
and its member findings join it whether they arrive before or after it; `/contain sequence`
over signed Slack contains every target in moto with one plan approved once; the
attack-sequence-credentials drill is scored like the others."""

import dataclasses
import json
from pathlib import Path

import boto3
import pytest

from composition import local_workspace
from core.clock import ManualClock
from core.drills import runner
from tests.e2e.test_drills import running_sandbox, sandboxed  # noqa: F401 - the AWS sandbox fixtures
from tests.e2e.test_intake_http import SECRET, post, workspace_for
from tests.support.containment import REGION, contain, declare, eni_groups, instance, requests, wait_state
from tests.support.containment import workspace as containment_workspace
from tests.support.slack import ack_body, all_text, eventually, mrkdwn_of, settled
from tests.support.sns import SnsSigner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "guardduty"
SEQUENCE_ID = "a4c9ec6a7cdb8e1c5a6b7f2e3d4c5b6a"
BEFORE_ID, AFTER_ID = "b1e2d3c4b5a6978877665544332211aa", "c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4"


def event(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def ws(settings, monkeypatch):
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    workspace = workspace_for(settings, SnsSigner())
    yield workspace
    workspace.stop()


def send(ws, name):
    status, body = post(ws, "/intake/eventbridge", event(name), {"X-Firebreak-Intake-Secret": SECRET})
    assert status == 200 and body["new"] == 1, body


def stored(ws, finding_id):
    return ws.services.repos.findings.by_finding_id(finding_id)


def test_sequence_declares_one_sev1_incident_with_signals_first_and_members_before_and_after_attach(ws):
    send(ws, "attack-sequence-member-torip.json")  # a member before its sequence: posted, no incident
    assert stored(ws, BEFORE_ID).incident_id is None and ws.services.incidents.recent() == []
    send(ws, "attack-sequence-credentials.json")
    [incident] = ws.services.incidents.recent()
    assert incident.severity == "sev1"
    assert stored(ws, SEQUENCE_ID).incident_id == incident.id
    assert eventually(lambda: stored(ws, BEFORE_ID).incident_id == incident.id)
    send(ws, "attack-sequence-member-trail.json")  # a member after: joins on arrival
    assert eventually(lambda: stored(ws, AFTER_ID).incident_id == incident.id)
    assert [i.id for i in ws.services.incidents.recent()] == [incident.id], "no second incident"

    timeline = ws.services.incidents.timeline(incident.id)
    signals = [e for e in timeline if e.kind == "signal"]
    assert [e.data["name"] for e in signals] == ["UnauthorizedAccess:IAMUser/TorIPCaller", "CreateRole",
                                                "Stealth:IAMUser/CloudTrailLoggingDisabled", "GetObject"]
    assert timeline[:4] == signals, "the timeline starts with the signals, oldest first"
    members = [e.text for e in timeline if e.data.get("sequence") == SEQUENCE_ID and e.kind == "finding"]
    assert any(BEFORE_ID in text and "no incident of its own" in text for text in members)
    assert any(AFTER_ID in text and "no incident of its own" in text for text in members)


def test_triage_message_shows_the_signal_timeline_and_the_inventory_escaped(ws):
    hostile = event("attack-sequence-credentials.json")
    hostile["detail"]["service"]["detection"]["sequence"]["signals"][1]["name"] = "CreateRole <!channel>"
    status, body = post(ws, "/intake/eventbridge", hostile, {"X-Firebreak-Intake-Secret": SECRET})
    assert status == 200 and body["new"] == 1
    assert ws.services.notifier.drain(10)
    [message] = [m for m in ws.fake.messages("security-triage") if "AttackSequence" in all_text(m)]
    text = all_text(message)
    assert "Signal timeline* (4)" in text
    assert text.index("UnauthorizedAccess:IAMUser/TorIPCaller") < text.index("CreateRole") < text.index("GetObject ×60")
    assert "*Resources* (3)" in text and "`arn:aws:s3:::amzn-s3-demo-bucket`" in text
    assert "*Actors* (1): IAMUser `john_doe`" in text and "*Endpoints* (1): `198.51.100.7`" in text
    assert "CreateRole &lt;!channel&gt;" in text and "<!channel>" not in mrkdwn_of(message)


def sequence_over(estate):
    """The published-shape sample, naming what moto holds: the key, the instance, the bucket."""
    found = event("attack-sequence-credentials.json")
    sequence = found["detail"]["service"]["detection"]["sequence"]
    sequence["resources"][0]["uid"] = sequence["actors"][0]["user"]["credentialUid"] = estate["key"]
    sequence["resources"][1]["uid"] = estate["instance"]
    return found


@pytest.fixture
def estate(moto_inprocess):
    iam, s3 = boto3.client("iam"), boto3.client("s3", region_name=REGION)
    iam.create_user(UserName="john_doe")
    key = iam.create_access_key(UserName="john_doe")["AccessKey"]["AccessKeyId"]
    s3.create_bucket(Bucket="amzn-s3-demo-bucket")
    instance_id, _, _, groups = instance()
    return {"key": key, "instance": instance_id, "groups": groups}


@pytest.fixture
def contained(settings, estate, monkeypatch):
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    workspace = containment_workspace(settings)
    yield workspace
    workspace.stop()


def plan_message(ws, channel):
    return next((m for m in ws.fake.messages(channel) if "Containment plan for attack sequence" in all_text(m)), None)


@pytest.mark.slow
def test_contain_sequence_shows_one_plan_approved_once_by_a_second_person_and_every_target_ends_contained(
        contained, estate):
    ws = contained
    status, body = post(ws, "/intake/eventbridge", sequence_over(estate), {"X-Firebreak-Intake-Secret": SECRET})
    assert status == 200 and body["new"] == 1
    incident = settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.channel_id), None))
    assert incident.severity == "sev1"

    assert ack_body(contain(ws, incident, "sequence", user="alice")) == {}
    card = settled(ws, lambda: plan_message(ws, incident.channel_id))
    text = all_text(card)
    assert f"disable-access-key* `{estate['key']}`" in text
    assert f"isolate-instance* `{estate['instance']}`" in text
    assert "block-public-s3* `amzn-s3-demo-bucket`" in text
    assert text.count("requested") >= 3 and "change:" in text, "each step shows its own dry run"
    [approve] = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == "contain_plan_approve"]
    steps = requests(ws)
    assert len(steps) == 3 and {r.state for r in steps} == {"requested"}
    assert not [m for m in ws.fake.messages(incident.channel_id) if "contain_approve" in json.dumps(m)], \
        "the steps have no cards of their own"

    ws.sender.block_action(user=ws.user("alice"), channel=incident.channel_id, action_id="contain_plan_approve",
                           value=approve["value"], message=card)
    ws.settle()
    assert {r.state for r in requests(ws)} == {"requested"}, "the requester cannot approve her own plan"

    ws.sender.block_action(user=ws.user("bob"), channel=incident.channel_id, action_id="contain_plan_approve",
                           value=approve["value"], message=card)
    for step in steps:
        wait_state(ws, step.id, "succeeded")
    iam, s3 = boto3.client("iam"), boto3.client("s3", region_name=REGION)
    [key] = iam.list_access_keys(UserName="john_doe")["AccessKeyMetadata"]
    assert key["Status"] == "Inactive"
    assert all(sorted(groups) != sorted(estate["groups"]) for groups in eni_groups(estate["instance"]).values())
    block = s3.get_public_access_block(Bucket="amzn-s3-demo-bucket")["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert {r.decided_by for r in requests(ws)} == {ws.user("bob")}
    final = settled(ws, lambda: (m := plan_message(ws, incident.channel_id)) and "3/3 steps done" in all_text(m) and m)
    assert final["ts"] == card["ts"], "one card, edited as the plan ran"
    assert not [b for b in final["blocks"] if b["type"] == "actions"]


@pytest.mark.slow
def test_attack_sequence_drill_is_contained_with_one_plan_and_scored_like_the_others(settings, sandboxed):
    """drills/attack-sequence-credentials.yaml in the AWS sandbox: the sequence joins the drill's
    incident (no route declares another), `/contain sequence` plans all three targets, bob
    approves once, and the scorecard counts every expected action done."""
    clock = ManualClock()
    ws = local_workspace(settings, clock=clock, threads=4, local_sandbox=sandboxed)
    try:
        ws.sender.command("/incident", "drill attack-sequence-credentials", user=ws.user("alice"),
                          channel=ws.channel("general"))
        incident = settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.is_drill and i.summary_ts),
                                            None))
        clock.advance(minutes=2)
        runner.deliver_due(ws.services)  # the sequence, two minutes in
        assert [i.id for i in ws.services.incidents.recent()] == [incident.id], "the route declared nothing else"
        assert len(ws.services.repos.findings.linked(incident.id)) == 2
        assert [e.data["name"] for e in ws.services.incidents.timeline(incident.id) if e.kind == "signal"] == [
            "UnauthorizedAccess:IAMUser/TorIPCaller", "CreateRole", "GetObject"]

        ws.sender.command("/contain", "sequence", user=ws.user("alice"), channel=incident.channel_id)
        card = settled(ws, lambda: plan_message(ws, incident.channel_id))
        clock.advance(minutes=1)
        ws.sender.block_action(user=ws.user("bob"), channel=incident.channel_id, action_id="contain_plan_approve",
                               value=str(incident.id), message=card)
        settled(ws, lambda: (m := plan_message(ws, incident.channel_id)) and "3/3 steps done" in all_text(m),
                timeout=30)
        ws.sender.command("/incident", "drill end", user=ws.user("bob"), channel=incident.channel_id)
        ended = settled(ws, lambda: (i := ws.services.incidents.get(incident.id)).drill.get("scorecard") and i)
        assert [r["outcome"] for r in ended.drill["scorecard"]["expected"]] == ["done"] * 3
        assert ended.drill["scorecard"]["unexpected"] == []
    finally:
        ws.stop()


def test_a_sequence_joins_the_incident_a_person_declared_from_its_member_and_a_later_member_declare_joins_too(ws):
    send(ws, "attack-sequence-member-torip.json")
    member = stored(ws, BEFORE_ID)
    ws.sender.block_action(user=ws.user("alice"), channel=ws.channel("security-triage"), action_id="finding_declare",
                           value=str(member.pk))
    incident = settled(ws, lambda: next(iter(ws.services.incidents.recent()), None))
    assert stored(ws, BEFORE_ID).incident_id == incident.id
    send(ws, "attack-sequence-credentials.json")  # the shipped route would declare: it joins instead
    assert eventually(lambda: stored(ws, SEQUENCE_ID).incident_id == incident.id)
    assert [i.id for i in ws.services.incidents.recent()] == [incident.id]
    assert any(e.kind == "signal" for e in ws.services.incidents.timeline(incident.id))

    send(ws, "attack-sequence-member-trail.json")
    assert eventually(lambda: stored(ws, AFTER_ID).incident_id == incident.id)
    assert [i.id for i in ws.services.incidents.recent()] == [incident.id], "no second incident"


def test_contain_sequence_usage_and_an_incident_without_a_sequence_get_clear_answers(settings, moto_inprocess):
    ws = containment_workspace(settings)
    try:
        incident = declare(ws)
        refused = all_text(ack_body(contain(ws, incident, "sequence --bogus")))
        assert "does not take “--bogus”" in refused and "/contain sequence [--incident N] [--dry-run]" in refused
        seen = len(ws.fake.calls_to("response_url"))
        assert ack_body(contain(ws, incident, "sequence")) == {}
        answer = settled(ws, lambda: (calls := ws.fake.calls_to("response_url")) and len(calls) > seen and calls[-1])
        assert "has no GuardDuty attack sequence" in all_text(answer.body)
        assert requests(ws) == [] and plan_message(ws, incident.channel_id) is None
    finally:
        ws.stop()


def test_with_the_route_off_a_person_declares_from_the_sequence_and_the_timeline_starts_with_its_signals(
        settings, monkeypatch):
    findings = settings.config.findings
    off = findings.model_copy(update={"attack_sequences": findings.attack_sequences.model_copy(
        update={"declare": False})})
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    ws = workspace_for(dataclasses.replace(settings, config=settings.config.model_copy(update={"findings": off})),
                       SnsSigner())
    try:
        send(ws, "attack-sequence-member-torip.json")
        send(ws, "attack-sequence-credentials.json")
        assert ws.services.incidents.recent() == [] and stored(ws, SEQUENCE_ID).route == "default"
        ws.sender.block_action(user=ws.user("alice"), channel=ws.channel("security-triage"),
                               action_id="finding_declare", value=str(stored(ws, SEQUENCE_ID).pk))
        incident = settled(ws, lambda: next(iter(ws.services.incidents.recent()), None))
        timeline = ws.services.incidents.timeline(incident.id)
        assert [e.kind for e in timeline[:4]] == ["signal"] * 4
        assert eventually(lambda: stored(ws, BEFORE_ID).incident_id == incident.id)
    finally:
        ws.stop()
