"""Issue 23 item 5: what the AWS sandbox (moto's server, as `bot.py` starts it) cannot do is
said in words — "not available in the AWS sandbox: <why>" — never as moto's HTML error page
or a traceback; and what small stand-ins can make work, works: AWS Support's correspondence
(and the clock's sweep of it) and SSM's managed instances for `/remediate patch-instance`.
Everything goes through signed Slack requests to the local workspace wired to a running
sandbox, except the dismissal, which calls core's triage (the Slack form is tested in
tests/handlers/test_triage.py)."""

import json
from datetime import timedelta

import pytest

from composition import local_workspace
from composition.sandbox import _collect_into
from core.clock import ManualClock
from tests.conftest import REPO
from tests.support.communications import with_communications
from tests.support.sandbox import running_sandbox, sandboxed  # noqa: F401 - fixtures
from tests.support.slack import all_text, settled

pytestmark = pytest.mark.slow




@pytest.fixture
def ws(settings, sandboxed):
    section = {"aws_support": {"enabled": True}, "aws_ir": {"enabled": True, "impacted_accounts": ["123456789012"]}}
    # As `bot.py` wires it: evidence goes into the sandbox's Object Lock bucket.
    adjust = _collect_into(sandboxed.inventory, lambda s, w: with_communications(s, section))
    workspace = local_workspace(settings, clock=ManualClock(), threads=4, with_clock=True, local_sandbox=sandboxed,
                                adjust=adjust)
    yield workspace
    workspace.stop()


def said(ws, command, text, channel):
    seen = len(ws.fake.calls_to("response_url"))
    reply = ws.sender.command(command, text, user=ws.user("alice"), channel=channel)
    ws.settle(30)
    body = reply.body if isinstance(reply.body, str) else ""
    return body + "\n".join(all_text(c.body) for c in ws.fake.calls_to("response_url")[seen:])


def declare(ws):
    ws.sender.command("/incident", "declare sev2 Miner on web-1", user=ws.user("alice"), channel=ws.channel("general"))
    return settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.summary_ts), None))


def no_html(text):
    return "<!doctype" not in text.lower() and "&lt;!doctype" not in text.lower() and "Traceback" not in text


def test_item5_investigate_says_the_sandbox_has_no_cloudtrail_history(ws):
    incident = declare(ws)
    answer = said(ws, "/investigate", "principal alice.admin --hours 6", incident.channel_id)
    assert "not available in the AWS sandbox: moto records no CloudTrail event history" in answer, answer
    assert no_html(answer)


def test_item5_security_ir_says_the_sandbox_has_none(ws):
    incident = declare(ws)
    answer = said(ws, "/incident", "aws-ir Please help", incident.channel_id)
    assert "not available in the AWS sandbox: moto has no AWS Security Incident Response service" in answer, answer
    assert no_html(answer)
    assert [c.state for c in ws.services.repos.communications.cases(incident.id)] in ([], ["failed"])


def test_item5_support_replies_and_the_clock_sweep_work_in_the_sandbox(ws, caplog):
    incident = declare(ws)
    said(ws, "/incident", "aws-support Please look", incident.channel_id)
    [case] = settled(ws, lambda: ws.services.repos.communications.cases(incident.id))
    answer = said(ws, "/incident", "aws-support reply Keys rotated", incident.channel_id)
    assert no_html(answer) and "not available" not in answer
    ws.advance_clock(timedelta(minutes=6))  # the clock's DescribeCommunications sweep
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info]
    entries = ws.services.incidents.timeline(incident.id, limit=None)
    assert any(e.kind == "aws_case" for e in entries) and case.case_id.startswith("case-")


def test_item5_patch_instance_runs_on_a_managed_sandbox_instance(ws, sandboxed):
    from tests.support.containment import click, wait_state

    incident = declare(ws)
    web1 = sandboxed.inventory.get("instance", "web-1")
    said(ws, "/evidence", f"collect-instance-data {web1}", incident.channel_id)  # patching needs evidence first
    evidence = next(r for r in ws.services.repos.containment.for_incident(incident.id) if r.message_ts)
    click(ws, incident, evidence.id, user="bob")
    assert wait_state(ws, evidence.id, "succeeded", "failed", timeout=60).state == "succeeded"
    answer = said(ws, "/remediate", f"patch-instance {web1}", incident.channel_id)
    request = next((r for r in ws.services.repos.containment.for_incident(incident.id)
                    if r.message_ts and r.action == "patch-instance"), None)
    assert request is not None, answer
    assert request.state == "requested", request.error
    click(ws, incident, request.id, user="bob")
    done = wait_state(ws, request.id, "succeeded", "failed", timeout=60)
    assert done.state == "succeeded", done.error


def test_item5_dismissal_is_recorded_in_firebreak_and_says_the_sandbox_cannot_take_it(ws, sandboxed):
    from core.findings import triage
    from core.findings.intake import ingest_report
    from store.findings.repository import SqlFindingRepository

    path = REPO / "tests" / "core" / "findings" / "fixtures" / "guardduty" / "gd_eventbridge_s3_exfiltration.json"
    document = path.read_text().replace("444455556666", sandboxed.inventory.account)
    ingest_report(ws.services, str(path), document)
    stored = SqlFindingRepository(ws.services.db).by_finding_id(json.loads(document)["detail"]["id"])
    dismissed = triage.dismiss(ws.services, stored.pk, ws.user("alice"), "a test bucket")
    assert dismissed.status == "dismissed"
    history = json.dumps(dismissed.activity)
    assert "recorded in Firebreak only (not available in the AWS sandbox: moto keeps GuardDuty detectors" in history
