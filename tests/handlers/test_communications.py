"""Communications through signed Slack requests against the fake Slack (issue 15): the plan
applied at declaration and severity change to each kind of audience (a channel, a person, a
user group, email over SNS, a pager), the pre-filled `/incident notify` form, a private
incident's title withheld, `/incident stakeholders`, paging that follows the incident with a
failing endpoint retried, the SLA escalation paging, and a regulatory reminder under a
manual clock."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from composition import local_workspace
from core.clock import ManualClock
from handlers import ids
from tests.support.communications import StandIn, with_communications
from tests.support.slack import ack_body, all_text, settled

TOPIC_NAME = "firebreak-management"


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.stop()


def plan(ws, *, events_url: str = "http://127.0.0.1:9/v2/enqueue", topic_arn: str | None = None) -> dict:
    leads = ws.fake.channel_id("security-leads") or ws.fake.add_channel("security-leads", members=())
    ws.fake.usergroups["S0ITOPS"] = {ws.user("carol")}
    return {
        "audiences": {
            "security-leads": {"slack_channels": [leads], "may_see_private": True,
                               "pager": {"type": "pagerduty", "routing_key_env": "FIREBREAK_PD_LEADS",
                                         "events_url": events_url, "attempts": 3}},
            "management": {"slack_users": [ws.user("bob")], "sns_topic_arn": topic_arn},
            "it-ops": {"slack_users": ["S0ITOPS"]},
        },
        "rules": [
            {"when": ["declared", "resolved"], "severities": ["sev1", "sev2"], "notify": ["security-leads"]},
            {"when": ["severity", "status_update"], "severities": ["sev1"], "notify": ["management", "it-ops"]},
        ],
        "user_pager": "security-leads",
        "regulatory": {"enabled": True, "clocks": [
            {"regime": "gdpr", "name": "GDPR Art. 33", "categories": ["data-exposure"], "deadline_hours": 72,
             "remind_before_hours": [24, 4], "notify": ["management"]}]},
    }


def workspace_with(settings, clock=None, with_clock=False, **kw):
    return local_workspace(settings, threads=2, clock=clock, with_clock=with_clock,
                           adjust=lambda s, w: with_communications(s, {k: v for k, v in plan(w, **kw).items()
                                                                       if v is not None}))


def command(ws, text, user="alice", channel="general"):
    reply = ws.sender.command("/incident", text, user=ws.user(user), channel=ws.channel(channel)
                              if not channel.startswith("C") else channel)
    body = ack_body(reply)
    assert ws.settle()
    return body


def declare(ws, text):
    before = {i.id for i in ws.services.incidents.recent()}
    command(ws, f"declare {text}")
    return settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.id not in before), None))


def texts(ws, channel) -> str:
    return "\n".join(all_text(m) for m in ws.fake.messages(channel))


@pytest.fixture
def topic(moto_inprocess):
    """An SNS topic with an SQS subscriber standing in for the email subscribers."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    queue = sqs.create_queue(QueueName="mail")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)

    def mails():
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    return arn, mails


def test_the_plan_at_declaration_and_severity_change_reaches_each_kind_of_audience(settings, topic):
    arn, mails = topic
    ws = workspace_with(settings, topic_arn=arn)
    try:
        incident = declare(ws, "sev2 Access keys pushed to a public repository")
        leads = texts(ws, "security-leads")
        assert f"Incident {incident.label}: Access keys pushed to a public repository" in leads
        assert "Sent by Firebreak" in leads and ws.fake.messages(ws.user("bob")) == []  # sev2: leads only

        command(ws, "severity sev1", channel=incident.channel_id)
        assert "Access keys pushed" in texts(ws, ws.user("bob"))  # a person: DM
        assert "Access keys pushed" in texts(ws, ws.user("carol"))  # a user group: each member
        [mail] = mails()
        assert mail["Subject"].startswith("[severity change] Incident") and "Current phase: detection" in mail["Message"]
        told = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "stakeholder_notice"]
        assert [(e.data["audience"], e.data["trigger"], e.data["state"]) for e in told] == [
            ("security-leads", "declared", "sent"), ("management", "severity", "sent"), ("it-ops", "severity", "sent")]
        assert any("Told management (severity change)" in all_text(m) for m in ws.fake.messages(incident.channel_id))

        command(ws, "update Keys revoked, no use seen", channel=incident.channel_id)
        assert "Keys revoked, no use seen" in texts(ws, ws.user("bob"))
        assert "Keys revoked" in mails()[0]["Message"]

        seen = len(ws.fake.calls_to("response_url"))
        command(ws, "stakeholders", channel=incident.channel_id)
        shown = all_text(ws.fake.calls_to("response_url")[seen].body)
        assert "security-leads" in shown and "status_update" in shown and "resolution: security-leads" in shown
    finally:
        ws.stop()


def test_notify_opens_a_prefilled_form_and_sends_it_privately_redacted(settings):
    ws = workspace_with(settings)
    try:
        incident = declare(ws, "private sev3 Payroll export mailed to the wrong address")
        assert ws.fake.messages(ws.fake.channel_id("security-leads")) == []  # sev3 is not in the plan
        assert ack_body(ws.sender.command("/incident", "notify management Please hold press questions",
                                          user=ws.user("alice"), channel=incident.channel_id)) == {}
        assert ws.settle()
        view = list(ws.fake.views.values())[-1]
        assert view["callback_id"] == ids.VIEW_COMMS_NOTIFY
        initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}
        assert initial["text"] == "Please hold press questions" and initial["phase"] == "detection"
        assert "Payroll" not in json.dumps(view)  # management may not see private incidents
        values = {key: {key: {"type": "plain_text_input", "value": value}} for key, value in initial.items()}
        values["impact"]["impact"]["value"] = "One mail to a supplier; no customer data"
        ws.sender.view_submission(user=ws.user("alice"), callback_id=ids.VIEW_COMMS_NOTIFY, values=values,
                                  private_metadata=view["private_metadata"], view_id=view["id"])
        sent = settled(ws, lambda: texts(ws, ws.user("bob")))
        assert "Please hold press questions" in sent and "One mail to a supplier" in sent
        assert f"Private incident {incident.label}" in sent and "Payroll" not in sent
        entry = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "stakeholder_notice"][0]
        assert entry.actor == ws.user("alice") and entry.text == "Told management (update): Please hold press questions"

        everywhere = json.dumps([m for c in ws.fake.channels.values() if c.id != incident.channel_id
                                 for m in c.messages])
        assert "Payroll" not in everywhere
    finally:
        ws.stop()


def test_paging_triggers_then_acknowledges_and_resolves_retrying_a_failing_endpoint(settings, stand_in,
                                                                                      monkeypatch):
    monkeypatch.setenv("FIREBREAK_PD_LEADS", "R0UTING")
    ws = workspace_with(settings, events_url=stand_in.url)
    try:
        incident = declare(ws, "sev2 Crypto miner on build host")
        stand_in.fail(2, 502)
        command(ws, "page security-leads Miner still running, need a second pair of hands",
                channel=incident.channel_id)
        bodies = stand_in.events()
        assert len(bodies) == 3 and bodies[-1]["event_action"] == "trigger"  # two failures, then accepted
        assert bodies[-1]["dedup_key"] == f"firebreak-{incident.id}-security-leads"
        assert bodies[-1]["routing_key"] == "R0UTING" and "Crypto miner" in bodies[-1]["payload"]["summary"]
        assert any("Paged security-leads: Miner still running" in all_text(m)
                   for m in ws.fake.messages(incident.channel_id))

        command(ws, f"page <@{ws.user('carol')}> join please", channel=incident.channel_id)
        assert "paging you for incident" in texts(ws, ws.user("carol"))
        assert stand_in.events()[-1]["payload"]["custom_details"]["user"] == ws.user("carol")

        command(ws, "phase containment", channel=incident.channel_id)
        acks = [b for b in stand_in.events() if b["event_action"] == "acknowledge"]
        assert sorted(b["dedup_key"] for b in acks) == sorted(
            [f"firebreak-{incident.id}-security-leads", f"firebreak-{incident.id}-{ws.user('carol')}"])
        command(ws, "resolve", channel=incident.channel_id)
        resolves = [b for b in stand_in.events() if b["event_action"] == "resolve"]
        assert len(resolves) == 2
        pages = ws.services.repos.communications.pages(incident.id)
        assert {p.state for p in pages} == {"resolved"}

        stand_in.fail(3, 503)  # every attempt fails: the page is recorded as failed and the user told
        other = declare(ws, "sev3 Port scan")
        seen = len(ws.fake.calls_to("response_url"))
        command(ws, "page security-leads", channel=other.channel_id)
        answer = all_text(ws.fake.calls_to("response_url")[seen].body)
        assert "Could not page security-leads" in answer and "HTTP 503" in answer
        assert ws.services.repos.communications.pages(other.id)[0].state == "failed"
    finally:
        ws.stop()


def test_an_sla_breach_pages_the_escalation_audience(settings, stand_in, monkeypatch):
    monkeypatch.setenv("FIREBREAK_PD_LEADS", "R0UTING")
    clock = ManualClock()
    ws = local_workspace(settings, threads=2, clock=clock, with_clock=True, adjust=lambda s, w: with_communications(
        s, plan(w, events_url=stand_in.url) | {"regulatory": {}}, page=["security-leads"]))
    try:
        incident = declare(ws, "sev1 Root console login from an unknown address")
        ws.advance_clock(timedelta(minutes=16))  # acknowledged: the declarer is the commander
        assert stand_in.events() == []
        ws.advance_clock(timedelta(minutes=240))  # sev1 must be contained within 240 minutes
        [trigger] = stand_in.events()
        assert trigger["event_action"] == "trigger" and "contain SLA breached" in trigger["payload"]["summary"]
        ws.advance_clock(timedelta(minutes=5))
        assert len(stand_in.events()) == 1  # escalated once
    finally:
        ws.stop()


def test_a_regulatory_reminder_fires_before_the_deadline_under_a_manual_clock(settings):
    clock = ManualClock()
    ws = workspace_with(settings, clock=clock, with_clock=True)
    try:
        incident = declare(ws, "sev2 Customer database snapshot shared publicly")
        command(ws, "category data-exposure", channel=incident.channel_id)
        summary = ws.fake.messages(incident.channel_id)[0]
        assert "GDPR Art. 33" in all_text(summary) and "not legal advice" in all_text(summary)
        ws.advance_clock(timedelta(hours=47))
        assert not any("notification for" in all_text(m) for m in ws.fake.messages(incident.channel_id))
        ws.advance_clock(timedelta(hours=1, minutes=1))  # 24 h before the deadline
        reminders = [m for m in ws.fake.messages(incident.channel_id) if "notification for" in all_text(m)]
        assert len(reminders) == 1 and "/incident notified gdpr" in all_text(reminders[0])
        assert f"<@{ws.user('alice')}>" in json.dumps(reminders[0])  # the commander is mentioned
        assert "GDPR Art. 33" in texts(ws, ws.user("bob"))  # the clock's audience is reminded too
        ws.advance_clock(timedelta(minutes=5))
        assert len([m for m in ws.fake.messages(incident.channel_id) if "notification for" in all_text(m)]) == 1

        command(ws, "notified gdpr", channel=incident.channel_id)
        record = ws.services.repos.communications.clocks([incident.id])[0]
        assert record.met_by == ws.user("alice")
        assert "notified" in all_text(ws.fake.messages(incident.channel_id)[0])
        ws.advance_clock(timedelta(hours=21))  # past the 4 h mark: no more reminders once met
        assert len([m for m in ws.fake.messages(incident.channel_id) if "notification for" in all_text(m)]) == 1
    finally:
        ws.stop()
