"""deploy/intake.yaml routes the formats of 2024+ to the queue: the new Security Hub's
`Findings Imported V2`, `Inspector2 Finding`, `Macie Finding` and Security Incident Response
events, put on moto's default bus as the services publish them (published samples, see
tests/fixtures/README.md). moto cannot match inside arrays of objects, so the GuardDuty
exclusion of the V2 rule is checked by shape here, and the rule deployed without it."""

from __future__ import annotations

import json

from tests.conftest import REPO
from tests.deploy.test_intake_stack import deploy_intake, drain, put
from tests.deploy.test_templates import _plain, template

FIXTURES = REPO / "tests" / "fixtures"


def test_ocsf_inspector_macie_and_security_ir_events_arrive_in_the_queue(moto_inprocess):
    import boto3
    outputs = deploy_intake(SecurityHubSkipsGuardDuty="false")
    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    for name in ("ocsf/sh2-eb-findings-imported-v2-guardduty-sumologic.json",
                 "inspector/inspector2-eb-lambda-package-vulnerability-awsdocs.json",
                 "macie/macie-eb-finding-encryption-disabled-awsdocs-truncated.json"):
        put(events, json.loads((FIXTURES / name).read_text()))
    put(events, {"source": "aws.security-ir", "detail-type": "Case Updated", "detail": {"caseId": "1234567890"}})
    put(events, {"source": "aws.inspector2", "detail-type": "Inspector2 Coverage", "detail": {}})  # not a finding
    arrived = sorted((b["source"], b["detail-type"]) for b in drain(sqs, outputs["QueueUrl"]))
    assert arrived == sorted([("aws.securityhub", "Findings Imported V2"), ("aws.inspector2", "Inspector2 Finding"),
                              ("aws.macie", "Macie Finding"), ("aws.security-ir", "Case Updated")])


def test_the_v2_rule_leaves_guardduty_to_the_guardduty_rule_unless_told_otherwise():
    pattern = template("intake.yaml")["Resources"]["SecurityHubV2Rule"]["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.securityhub"] and pattern["detail-type"] == ["Findings Imported V2"]
    assert _plain(pattern["detail"]) == {"Fn::If": [
        "SkipGuardDutyInSecurityHub",
        {"findings": {"metadata": {"product": {"name": [{"anything-but": "GuardDuty"}]}}}},
        {"Ref": "AWS::NoValue"}]}
