"""deploy/intake.yaml sends AWS Security Incident Response case events to the findings queue
(they keep a linked incident up to date), and not its membership events."""

import json
from pathlib import Path

import boto3

from tests.deploy.test_intake_stack import deploy_intake, drain, put

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security-ir"


def test_security_ir_case_events_reach_the_queue_and_membership_events_do_not(moto_inprocess):
    outputs = deploy_intake(SecurityHubSkipsGuardDuty="false")
    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    for name in ("case-updated.json", "case-comment-added.json", "case-closed.json"):
        put(events, json.loads((FIXTURES / name).read_text()))
    put(events, {"source": "aws.security-ir", "detail-type": "Membership Updated", "detail": {"membershipId": "m-1"}})
    arrived = drain(sqs, outputs["QueueUrl"])
    assert sorted(b["detail-type"] for b in arrived) == ["Case Closed", "Case Comment Added", "Case Updated"]
    assert all(b["detail"]["caseId"] == "1234567890" for b in arrived)
