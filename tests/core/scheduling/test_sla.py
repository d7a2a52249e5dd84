"""SLA escalation under a ManualClock against the fake Slack and moto's SNS: a breach is
escalated once (timeline, channel with mentions, SNS), a milestone reached in time never
escalates, and a failing effect is retried without repeating the others."""

import dataclasses
import json
from datetime import timedelta

import boto3
import pytest

from core.incidents import service as incidents
from core.findings.triage import SYSTEM_ACTOR
from composition import local_workspace
from tests.support.scheduling import declare, escalations, posted, with_scheduling
from tests.support.slack import mrkdwn_of

SIREN = ":rotating_light: *SLA breached*"
TOPIC = "arn:aws:sns:us-east-1:123456789012:firebreak-escalations"


@pytest.fixture
def ws(settings, clock, moto_inprocess):
    escalation = {"mention": ["S0ONCALL", "U0LEAD"], "sns_topic_arn": TOPIC}
    workspace = local_workspace(with_scheduling(settings, escalation=escalation), clock=clock, threads=2)
    yield workspace
    workspace.stop()


@pytest.fixture
def topic_queue(moto_inprocess):
    """An SQS queue subscribed to the escalation topic, to read what was published."""
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    arn = sns.create_topic(Name="firebreak-escalations")["TopicArn"]
    url = sqs.create_queue(QueueName="escalations")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    def published():
        return [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                .get("Messages", [])]
    return published


def auto_declared(ws, title="Crypto miner on i-0abc"):
    """As a `declare` route does: the bot declares, nobody is in command yet."""
    return incidents.declare(ws.services, title=title, declared_by=SYSTEM_ACTOR, severity="sev1").incident


def test_an_unacknowledged_incident_is_escalated_once(ws, clock, topic_queue):
    incident = auto_declared(ws, "Miner <!here> & co")
    sweep = escalations(ws, ws.services.pager)
    clock.advance(minutes=14)
    assert sweep(ws.services) == 0
    clock.advance(minutes=1)
    assert sweep(ws.services) == 3  # timeline, channel, SNS
    [message] = posted(ws, incident, SIREN)
    shown = mrkdwn_of(message)
    assert "<!subteam^S0ONCALL> <@U0LEAD>: please step in." in shown
    assert "was not acknowledged by its commander within 15m" in shown
    assert "Miner &lt;!here&gt; &amp; co" in shown and "<!here>" not in shown
    [entry] = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "sla_breach"]
    assert entry.at == incident.declared_at + timedelta(minutes=15)  # when the deadline passed
    assert entry.actor is None and entry.data == {"sla": "acknowledge", "limit_minutes": 15}
    [published] = topic_queue()
    assert published["sla"] == "acknowledge" and published["incident"]["id"] == incident.id
    assert published["incident"]["title"] == "Miner <!here> & co" and published["mention"] == ["S0ONCALL", "U0LEAD"]

    clock.advance(minutes=30)
    assert sweep(ws.services) == 0  # once per breach
    assert len(posted(ws, incident, SIREN)) == 1 and topic_queue() == []


def test_taking_command_in_time_means_no_escalation_even_later(settings, clock):
    cfg = settings.config  # nobody is made commander by declaring
    settings = dataclasses.replace(settings, config=cfg.model_copy(update={
        "incidents": cfg.incidents.model_copy(update={"declarer_role": None})}))
    ws = local_workspace(with_scheduling(settings), clock=clock, threads=2)
    try:
        _take_command_in_time(ws, clock)
    finally:
        ws.stop()


def _take_command_in_time(ws, clock):
    incident = auto_declared(ws)
    assert incident.roles == {}
    clock.advance(minutes=10)
    ws.sender.command("/incident", f"role commander <@{ws.user('bob')}|bob>", user=ws.user("bob"),
                      channel=incident.channel_id)
    ws.fake.wait_for("chat.update", lambda c: "commander" in str(c.body) and ws.user("bob") in str(c.body))
    clock.advance(minutes=10)
    sweep = escalations(ws)
    assert sweep(ws.services) == 0
    clock.advance(hours=1)
    assert sweep(ws.services) == 0 and posted(ws, incident, SIREN) == []


def test_containment_not_done_in_time_is_escalated_with_the_commander(ws, clock):
    incident = declare(ws, "sev1 Exfiltration from bucket")  # alice commands: acknowledged at once
    contained = declare(ws, "sev1 Contained in time")
    clock.advance(hours=2)
    ws.sender.command("/incident", "phase eradication", user=ws.user("alice"), channel=contained.channel_id)
    ws.fake.wait_for("chat.update", lambda c: "eradication" in str(c.body))
    clock.advance(hours=2)
    assert escalations(ws)(ws.services) == 2  # timeline and channel for the first only (no SNS pager given)
    [message] = posted(ws, incident, SIREN)
    assert "was not contained within 4h00m" in mrkdwn_of(message)
    assert f"<!subteam^S0ONCALL> <@U0LEAD> <@{ws.user('alice')}>: please step in." in mrkdwn_of(message)
    assert posted(ws, contained, SIREN) == []


class FlakyPager:
    def __init__(self):
        self.pages, self.failures = [], 1

    def page(self, escalation):
        if self.failures:
            self.failures -= 1
            raise RuntimeError("SNS is down")
        self.pages.append(escalation)


def test_a_failed_effect_is_retried_alone(ws, clock):
    incident = auto_declared(ws)
    pager = FlakyPager()
    clock.advance(minutes=15)
    assert escalations(ws, pager)(ws.services) == 2
    assert escalations(ws, pager, holder="clock-b")(ws.services) == 1  # SNS only, on whichever clock
    assert len(pager.pages) == 1 and len(posted(ws, incident, SIREN)) == 1
