"""GuardDuty attack sequences over the real HTTP intake (EventBridge API destination): one
sequence declares one sev1 incident whose timeline starts with its signals, oldest first,
and its member findings join it whether they arrive before or after it."""

import json
from pathlib import Path

import pytest

from tests.e2e.test_intake_http import SECRET, post, workspace_for
from tests.support.slack import all_text, eventually, mrkdwn_of
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
