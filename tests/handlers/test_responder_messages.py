"""Errors that help (issue 11 items 5 and 11): each mistake gets a message that says what
is wrong and how to do it right, and cards offer only what exists."""

from __future__ import annotations

import boto3

from core.containment import service
from core.containment.parse import parse
from tests.support.containment import declare, workspace
from tests.support.slack import ack_body, all_text


def answers_to(ws, command, text, user="alice", channel=None):
    seen = len(ws.fake.calls_to("response_url"))
    ack = ack_body(ws.sender.command(command, text, user=ws.user(user), channel=channel or ws.channel("general")))
    ws.settle()
    return "\n".join([all_text(ack)] + [all_text(c.body) for c in ws.fake.calls_to("response_url")[seen:]])


def test_a_role_for_someone_slack_did_not_recognise(settings, clock):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        said = answers_to(ws, "/incident", "role commander @dana", channel=incident.channel_id)
        assert "“@dana” is not someone Slack recognised" in said
        assert ws.services.incidents.get(incident.id).roles.get("commander") == ws.user("alice")
    finally:
        ws.stop()


def test_status_with_a_word_that_is_not_a_number(settings, clock):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        said = answers_to(ws, "/incident", "status abc", channel=incident.channel_id)
        assert "“abc” is not an incident number" in said and "Incident #" not in said
    finally:
        ws.stop()


def test_contain_outside_an_incident_channel_suggests_the_option(settings, clock):
    ws = workspace(settings, clock)
    try:
        declare(ws)
        said = answers_to(ws, "/contain", "block-public-s3 exposed-bucket")
        assert "--incident 42" in said and "/incident status" not in said
    finally:
        ws.stop()


def test_a_snapshot_card_offers_no_undo(settings, clock, moto_inprocess):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        ec2 = boto3.client("ec2", region_name="us-east-1")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        request = service.submit(ws.services, actor=ws.user("alice"), channel=incident.channel_id,
                                 command=parse(f"snapshot-instance {instance}"), dedup_key="k1")
        done = service.decide(ws.services, request.id, actor=ws.user("bob"), approve=True)
        assert done.state == "succeeded"
        card = ws.fake.wait_for("chat.update", lambda c: "succeeded" in all_text(c.body))[-1].body
        assert "/contain undo" not in all_text(card)
    finally:
        ws.stop()
