"""AWS Security Incident Response events through the real HTTP intake (EventBridge API
destination): the incident linked to the case is brought up to date at once — a new
comment posted once, the status on the pinned summary — without waiting for the clock's
poll. Security IR is stubbed with botocore's Stubber (moto has no Security IR)."""

import json
from pathlib import Path

import pytest
from botocore.stub import ANY

from tests.e2e.test_intake_http import SECRET, post
from tests.handlers.test_aws_cases import IR_SECTION, command, declare, posted, security_ir, workspace  # noqa: F401
from tests.support.slack import all_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security-ir"


def event(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def ws(settings, security_ir, monkeypatch):
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    workspace_ = workspace(settings, IR_SECTION)
    yield workspace_
    workspace_.stop()


def send(ws, name):
    status, body = post(ws, "/intake/eventbridge", event(name), {"X-Firebreak-Intake-Secret": SECRET})
    assert status == 200 and body["rejected"] == [], body
    return body


def test_case_events_update_the_linked_incident_at_once_and_post_each_comment_once(ws, security_ir):
    incident = declare(ws, "sev1 Ransom note found on a file server")
    security_ir.add_response("create_case", {"caseId": "1234567890"}, expected_params={
        "clientToken": ANY, "resolverType": "Self", "engagementType": "Security Incident", "title": ANY,
        "description": ANY, "reportedIncidentStartDate": ANY, "impactedAccounts": ["111122223333"],
        "watchers": [{"email": "secops@example.com", "name": "SecOps"}]})
    command(ws, "aws-ir", channel=incident.channel_id)

    comments = {"items": [{"commentId": "000102", "creator": "AWS Responder",
                           "body": "Please share <VPC> flow logs & CloudTrail"}], "total": 1}
    for _ in range(2):  # EventBridge delivers at least once: the same event twice
        security_ir.add_response("list_comments", comments, expected_params={"caseId": "1234567890"})
        security_ir.add_response("get_case", {"caseStatus": "Acknowledged"}, expected_params={"caseId": "1234567890"})
        send(ws, "case-comment-added.json")
    security_ir.assert_no_pending_responses()  # read now, not at the next poll (the clock never moved)
    assert ws.settle()
    [comment] = posted(ws, incident, "Please share")
    assert "&lt;VPC&gt;" in json.dumps(comment)
    summary = all_text(ws.fake.messages(incident.channel_id)[0])
    assert "AWS Security Incident Response `1234567890` — Acknowledged" in summary

    security_ir.add_response("list_comments", comments, expected_params={"caseId": "1234567890"})
    security_ir.add_response("get_case", {"caseStatus": "Closed"}, expected_params={"caseId": "1234567890"})
    send(ws, "case-closed.json")
    security_ir.assert_no_pending_responses()
    assert ws.settle()
    assert "AWS Security Incident Response `1234567890` — Closed" in all_text(ws.fake.messages(incident.channel_id)[0])
    assert len(posted(ws, incident, "Please share")) == 1
    assert posted(ws, incident, "Acknowledged → Closed")


def test_an_event_for_a_case_no_incident_follows_is_accepted_and_changes_nothing(ws, security_ir):
    body = send(ws, "case-updated.json")
    assert body["new"] == 0
    security_ir.assert_no_pending_responses()  # no AWS call for a case that is none of ours
    assert ws.services.repos.intake.rejected() == []


def test_findings_normalize_names_a_security_ir_event_without_refusing_it():
    from tests.support.cli import run_bot

    result = run_bot("findings", "normalize", str(FIXTURES / "case-closed.json"))
    assert result.returncode == 0 and result.stdout == ""
    assert "Security Incident Response event 'Case Closed' for case 1234567890" in result.stderr
