"""/investigate through signed Slack requests: usage once in the ack, the answer in the
channel, the events attached as CSV, the query on the incident's timeline."""

from __future__ import annotations

from datetime import datetime, timezone

from composition import local_workspace
from core.investigation.model import Event
from tests.support.slack import ack_body, all_text

AT = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


class History:
    def lookup(self, question, *, start, end, account, region):
        return [Event(AT, "ConsoleLogin", "signin.amazonaws.com", "mallory", "203.0.113.9", "Mozilla <b>", "", "e1"),
                Event(AT, "CreateUser", "iam.amazonaws.com", "mallory", "203.0.113.9", "aws-cli", "AccessDenied",
                      "e2")], False


def test_a_question_is_answered_in_the_channel_with_the_events_attached(settings):
    ws = local_workspace(settings, threads=2, overrides={"event_history": History()})
    try:
        ws.sender.command("/incident", "declare sev2 Key leak", user=ws.user("alice"), channel=ws.channel("general"))
        ws.settle()
        incident = ws.services.incidents.recent()[0]
        bad = ack_body(ws.sender.command("/investigate", "host web-1", user=ws.user("alice"),
                                         channel=incident.channel_id))
        assert "not something Firebreak can investigate" in all_text(bad)
        seen = len(ws.fake.calls_to("response_url"))
        ws.sender.command("/investigate", "principal mallory --hours 6", user=ws.user("alice"),
                          channel=incident.channel_id)
        ws.settle()
        [answer] = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
        text = all_text(answer)
        assert answer["response_type"] == "in_channel" and "2 CloudTrail event(s)" in text
        assert "ConsoleLogin" in text and "1 access denied" in text and "<b>" not in str(answer)
        [upload] = [f for f in ws.fake.files.values() if f["name"].startswith("investigation-principal")]
        assert b"ConsoleLogin" in upload["content"] and upload["channel"] == incident.channel_id
        assert any(e.kind == "investigation" for e in ws.services.incidents.timeline(incident.id))
    finally:
        ws.stop()


class Recording(History):
    def __init__(self):
        self.asked = []

    def lookup(self, question, *, start, end, account, region):
        self.asked.append((question, account, region))
        return super().lookup(question, start=start, end=end, account=account, region=region)


def test_a_playbook_investigate_step_runs_its_question_with_a_button(settings):
    """The s3-public-exposure playbook asks about the incident's bucket: the button runs it in
    the channel (read-only, no approval), with the bucket filled from the linked finding."""
    import json

    from core.findings import triage
    from core.findings.intake import ingest_report
    from store.findings.repository import SqlFindingRepository
    from tests.conftest import REPO
    from tests.support.slack import settled

    history = Recording()
    ws = local_workspace(settings, threads=2, overrides={"event_history": history})
    try:
        ws.sender.command("/incident", "declare sev2 Bucket exposed", user=ws.user("alice"),
                          channel=ws.channel("general"))
        ws.settle()
        incident = ws.services.incidents.recent()[0]
        path = REPO / "tests" / "core" / "findings" / "fixtures" / "guardduty" / "gd_eventbridge_s3_exfiltration.json"
        ingest_report(ws.services, str(path), path.read_text())
        stored = SqlFindingRepository(ws.services.db).by_finding_id(json.loads(path.read_text())["detail"]["id"])
        triage.link_to_incident(ws.services, stored.pk, incident.id, ws.user("alice"))
        ws.sender.command("/incident", "playbook s3-public-exposure", user=ws.user("alice"),
                          channel=incident.channel_id)
        ws.settle()  # as a person would: the playbook is attached before the phase moves on
        ws.sender.command("/incident", "phase analysis", user=ws.user("alice"), channel=incident.channel_id)
        checklist = settled(ws, lambda: next((m for m in ws.fake.messages(incident.channel_id)
                                             if "investigate_from_playbook" in json.dumps(m.get("blocks"))), None))
        assert "/investigate bucket acme-finance-exports --hours 72" in all_text(checklist)
        [button] = [e for b in checklist["blocks"] if b["type"] == "actions" for e in b["elements"]
                    if e["action_id"] == "investigate_from_playbook"]
        assert button["text"]["text"] == "Run investigation"
        seen = len(ws.fake.calls_to("response_url"))
        ws.sender.block_action(user=ws.user("carol"), channel=incident.channel_id,
                               action_id="investigate_from_playbook", value=button["value"])
        ws.settle()
        [(question, _, region)] = history.asked
        assert (question.subject, question.value, question.hours, region) == \
            ("bucket", "acme-finance-exports", 72, "us-west-2")
        [answer] = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
        assert answer["response_type"] == "in_channel" and "2 CloudTrail event(s)" in all_text(answer)
        entries = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "investigation"]
        assert entries and entries[-1].actor == ws.user("carol")
    finally:
        ws.stop()


def test_an_ipv6_scope_id_is_refused_with_a_usage_message_and_nothing_is_asked(settings):
    """Issue 22 item 16: Python's ipaddress takes a scope id of any characters after `%`."""
    history = Recording()
    ws = local_workspace(settings, threads=2, overrides={"event_history": history})
    try:
        for value in ("fe80::1%eth0'||'x", "fe80::1%<!channel>", "fe80::1%0"):
            reply = ack_body(ws.sender.command("/investigate", f"ip {value}", user=ws.user("alice"),
                                               channel=ws.channel("general")))
            text = all_text(reply)
            assert "IPv6 scope id" in text and "<!channel>" not in text, text
        ws.settle()
        assert history.asked == [] and not ws.fake.calls_to("response_url")
        ws.sender.command("/investigate", "ip fe80::1", user=ws.user("alice"), channel=ws.channel("general"))
        ws.settle()
        assert [q.value for q, _, _ in history.asked] == ["fe80::1"]
    finally:
        ws.stop()


def test_asked_outside_a_private_incidents_channel_the_answer_is_private_and_the_csv_goes_to_the_incident(
        settings):
    """Issue 22 item 9: /investigate answered in whatever channel it was typed in, CSV included."""
    ws = local_workspace(settings, threads=2, overrides={"event_history": History()})
    try:
        ws.sender.command("/incident", "declare private sev2 Payroll key leak", user=ws.user("alice"),
                          channel=ws.channel("general"))
        ws.settle()
        incident = ws.services.incidents.recent()[0]
        general_before = len(ws.fake.messages(ws.channel("general")))
        seen = len(ws.fake.calls_to("response_url"))
        ws.sender.command("/investigate", f"principal mallory --incident {incident.id}", user=ws.user("alice"),
                          channel=ws.channel("general"))
        ws.settle()
        [answer] = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
        assert answer["response_type"] == "ephemeral" and "2 CloudTrail event(s)" in all_text(answer)
        assert f"<#{incident.channel_id}>" in all_text(answer)
        [upload] = [f for f in ws.fake.files.values() if f["name"].startswith("investigation-principal")]
        assert upload["channel"] == incident.channel_id
        assert len(ws.fake.messages(ws.channel("general"))) == general_before
    finally:
        ws.stop()


def test_asked_outside_any_incident_the_answer_is_private_and_nothing_is_uploaded(settings):
    ws = local_workspace(settings, threads=2, overrides={"event_history": History()})
    try:
        seen = len(ws.fake.calls_to("response_url"))
        ws.sender.command("/investigate", "principal mallory", user=ws.user("alice"), channel=ws.channel("general"))
        ws.settle()
        [answer] = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
        assert answer["response_type"] == "ephemeral" and "--incident N" in all_text(answer)
        assert not ws.fake.files and not ws.fake.messages(ws.channel("general"))
    finally:
        ws.stop()
