"""restore-bucket-policy through signed Slack requests (issue 22 item 3): in an incident whose
linked finding was first seen at a time T, the card asks for the last AWS Config item captured
before T (not before the declaration), lists the items with their capture times, and the whole
policy to write with its statement-by-statement diff is attached to the card as a file;
approval writes exactly that policy. AWS Config's GetResourceConfigHistory is stubbed with
botocore's Stubber (moto returns no history); S3 is moto."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from aws.sessions import AwsSessions
from core.findings import triage
from core.findings.intake import ingest_report
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.support.containment import click, declare, requests, wait_state, workspace
from tests.support.slack import ack_body, mrkdwn_of, settled

FIXTURE = REPO / "tests" / "core" / "findings" / "fixtures" / "guardduty" / "gd_eventbridge_s3_exfiltration.json"
FIRST_SEEN = datetime(2026, 11, 23, 14, 41, 7, tzinfo=timezone.utc)  # the fixture's eventFirstSeen
BEFORE = {"Version": "2012-10-17", "Statement": [{"Sid": "Ops", "Effect": "Allow",
                                                  "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                                                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
ATTACKER = {"Version": "2012-10-17", "Statement": [{"Sid": "Leak", "Effect": "Allow", "Principal": "*",
                                                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}


def item(policy, captured, state_id):
    return {"configurationItemCaptureTime": captured, "configurationItemStatus": "OK", "resourceType": "AWS::S3::Bucket",
            "resourceId": "reports", "configurationStateId": state_id, "supplementaryConfiguration": {
                "BucketPolicy": json.dumps({"policyText": json.dumps(policy)})}}


@pytest.fixture
def config_history(aws_env, monkeypatch):
    """A config client with botocore's Stubber, handed out by the bot's AwsSessions."""
    client = boto3.client("config", region_name="us-west-2")
    real = AwsSessions.client
    monkeypatch.setattr(AwsSessions, "client",
                        lambda self, service, **kw: client if service == "config" else real(self, service, **kw))
    with Stubber(client) as stub:
        yield stub


@pytest.mark.slow
def test_the_card_restores_the_last_item_before_the_first_finding_and_attaches_the_whole_policy(
        settings, moto_inprocess, config_history):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_policy(Bucket="reports", Policy=json.dumps(ATTACKER))
    # Captured after the finding was first seen but before the incident was declared: the old
    # reference point (the declaration) would have put the attacker's policy back.
    history = {"configurationItems": [item(ATTACKER, datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc), "2002"),
                                      item(BEFORE, datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc), "2001")]}
    for _ in ("the plan", "the plan read again just before it runs (issue 23: already done?)"):
        config_history.add_response("get_resource_config_history", history,
                                    {"resourceType": "AWS::S3::Bucket", "resourceId": "reports",
                                     "chronologicalOrder": "Reverse", "limit": 100})
    ws = workspace(settings)
    try:
        incident = declare(ws, title="Bucket policy opened to everyone")
        ingest_report(ws.services, str(FIXTURE), FIXTURE.read_text())
        stored = SqlFindingRepository(ws.services.db).by_finding_id(json.loads(FIXTURE.read_text())["detail"]["id"])
        triage.link_to_incident(ws.services, stored.pk, incident.id, ws.user("alice"))
        assert ack_body(ws.sender.command("/remediate", "restore-bucket-policy reports --account 123456789012",
                                          user=ws.user("alice"),
                                          channel=incident.channel_id)) == {}
        request = settled(ws, lambda: next((r for r in requests(ws) if r.action == "restore-bucket-policy"
                                            and r.message_ts), None))
        assert request.plan["facts"]["config_item"] == "2001"
        card = next(m for m in ws.fake.messages(incident.channel_id) if m["ts"] == request.message_ts)
        text = mrkdwn_of(card)
        assert "2002 captured 2026-11-23 15:00:00 UTC after the compromise" in text
        assert "2001 captured 2026-11-23 09:00:00 UTC before the compromise ← written" in text
        assert "first-seen time of the incident's earliest linked finding (2026-11-23 14:41:07 UTC)" in text
        [attached] = [f for f in ws.fake.files.values() if f["name"] == "restore-bucket-policy-reports.txt"]
        assert attached["channel"] == incident.channel_id
        content = attached["content"].decode() if isinstance(attached["content"], bytes) else attached["content"]
        assert json.dumps(BEFORE, indent=2, sort_keys=True) in content and "- removed:" in content
        click(ws, incident, request.id, user="bob")
        done = wait_state(ws, request.id, "succeeded")
        assert done.outcome["verified"]
        assert json.loads(s3.get_bucket_policy(Bucket="reports")["Policy"]) == BEFORE
        config_history.assert_no_pending_responses()
    finally:
        ws.stop()
