"""Conformance against real-format samples published by others (../shared/samples, not vendored).

Skipped when the folder is absent. Every GuardDuty / Security Hub / CloudTrail sample must go
through normalize_text without raising; a few files get exact expectations.
"""
import re
from pathlib import Path

import pytest

from core.findings.model import SEVERITIES
from core.findings.normalize import normalize_text

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"
FOLDERS = ("guardduty", "securityhub", "cloudtrail")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SCHEMA_KEYS = ["id", "source", "product", "type", "title", "severity", "severity_score", "account", "region",
               "resources", "indicators", "first_seen", "last_seen", "count", "raw_format"]

# Samples that legitimately cannot yield a finding, with the reason we expect instead.
EXPECTED_REJECTIONS = {
    # A GuardDuty test event's detail without "id": no stable identity to dedup on, so rejected.
    "guardduty/gd-ebpartial-unauthorizedaccess-ec2-sshbruteforce-testevent.json":
        "document 1: GuardDuty finding without Id",
}
# Samples with no account anywhere (neither in the finding nor in the envelope).
NO_ACCOUNT = {"guardduty/gd-eb-minimal-recon-ec2-portprobeunprotectedport-notifyslack-sev9.json"}

EXACT = {
    "guardduty/gd-raw-backdoor-ec2-ccactivity-b.json": [
        ("64bf27df0ab4a19668efae51494f70e2", "Backdoor:EC2/C&CActivity.B", "high", "guardduty")],
    # The publisher labels this "High", but severity 9 is critical in GuardDuty's current bands.
    "guardduty/gd-eb-minimal-recon-ec2-portprobeunprotectedport-notifyslack-sev9.json": [
        ("sample-id-2", "Recon:EC2/PortProbeUnprotectedPort", "critical", "guardduty-event")],
    "guardduty/gd-eb-recon-ec2-portprobeunprotectedport-sns-message.json": [
        ("345rf3ff", "Recon:EC2/PortProbeUnprotectedPort", "low", "guardduty-event")],
    "guardduty/gd-raw-canary-ec2-stateless-integtest.json": [
        ("16afba5c5c43e07c9e3e5e2e544e95df", "Canary:EC2/Stateless.IntegTest", "medium", "guardduty")],
    "securityhub/sh-eb-customaction-multi-afsbp-iam.6-critical-rds.4.json": [
        ("arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices"
         "/v/1.0.0/IAM.6/finding/9edca51b-6b6e-4307-a634-541603f62fa0",
         "Software and Configuration Checks/Industry and Regulatory Standards/"
         "AWS-Foundational-Security-Best-Practices", "critical", "asff-event"),
        ("arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices"
         "/v/1.0.0/RDS.4/finding/0baff3be-7a31-4bf9-b7f5-a2f1ad431762",
         "Software and Configuration Checks/Industry and Regulatory Standards/"
         "AWS-Foundational-Security-Best-Practices", "medium", "asff-event")],
    "securityhub/sh-eb-imported-macie-classic-s3-partial-envelope.json": [
        ("arn:aws:macie:us-west-2:123456789012:integtest/trigger/6214d71b927c41cbab015159a8f316a3"
         "/alert/f2893b211841467198cc1201e9031ee4",
         "Sensitive Data Identifications/Passwords/Google Suite Two-factor backup codes in S3", "low", "asff-event")],
    "securityhub/sh-eb-imported-control-iam.4-fsbp.json": [
        ("arn:aws:securityhub:us-west-2:111122223333:subscription/aws-foundational-security-best-practices"
         "/v/1.0.0/IAM.4/finding/8e2e05a2-4d50-4c2e-a78f-3cbe9402d17d",
         "Software and Configuration Checks/Industry and Regulatory Standards/"
         "AWS-Foundational-Security-Best-Practices", "informational", "asff-event")],
}
EXPECTED_RULES = {
    "cloudtrail/ct-eb-stoplogging-reflex.json": "cloudtrail-stop-logging",
    "cloudtrail/ct-eb-consolelogin-root-success-awsdocs.json": "root-console-login-without-mfa",
    "cloudtrail/ct-eb-putbucketpolicy-public-principal-cloudbuddy.json": "s3-bucket-policy-public",
    "cloudtrail/ct-raw-consolelogin-failure-root-awsdocs.json": "root-console-login-failure",
}


def sample_files():
    if not SAMPLES.is_dir():
        return ["<samples folder absent>"]
    return sorted(p.relative_to(SAMPLES).as_posix() for folder in FOLDERS for p in (SAMPLES / folder).glob("*.json"))


def run(relative):
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} not present")
    return normalize_text((SAMPLES / relative).read_text(encoding="utf-8"))


@pytest.mark.parametrize("relative", sample_files())
def test_sample_normalizes_without_raising(relative):
    result = run(relative)
    for finding in result.findings:
        data = finding.to_json()
        assert list(data) == SCHEMA_KEYS
        assert data["id"] and data["type"] and data["title"]
        assert data["severity"] in SEVERITIES and 0.0 <= data["severity_score"] <= 100.0
        assert data["region"]
        assert data["account"] or relative in NO_ACCOUNT
        assert data["count"] >= 1
        for stamp in (data["first_seen"], data["last_seen"]):
            assert stamp is None or TIMESTAMP.match(stamp)
        assert finding.raw
    folder = relative.split("/", 1)[0]
    if relative in EXPECTED_REJECTIONS:
        assert [r.reason for r in result.rejected] == [EXPECTED_REJECTIONS[relative]]
        assert result.findings == []
    elif folder in ("guardduty", "securityhub"):
        assert result.findings, [r.reason for r in result.rejected]
        assert result.rejected == []
        if folder == "guardduty":
            assert {f.source for f in result.findings} == {"guardduty"}
    else:  # CloudTrail: a finding from a shipped rule, or an explicit "no rule matched"
        assert all(f.rule and f.raw_format == "cloudtrail-event" for f in result.findings)
        assert all(r.kind == "no_match" and "matched no detection rule" in r.reason for r in result.rejected)
        assert len(result.findings) + len(result.rejected) >= 1


@pytest.mark.parametrize("relative", sorted(EXACT))
def test_sample_exact_values(relative):
    result = run(relative)
    assert [(f.id, f.type, f.severity, f.raw_format) for f in result.findings] == EXACT[relative]


@pytest.mark.parametrize("relative", sorted(EXPECTED_RULES))
def test_cloudtrail_sample_matches_expected_rule(relative):
    result = run(relative)
    assert [f.rule for f in result.findings] == [EXPECTED_RULES[relative]]
    assert result.rejected == []


def test_sample_oddities_are_handled():
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} not present")
    [canary] = run("guardduty/gd-raw-canary-ec2-stateless-integtest.json").findings
    assert canary.indicators["ip"] == []  # remote 0.0.0.0 is not an indicator; int launchTime/asn ignored
    [macie] = run("securityhub/sh-eb-imported-macie-classic-s3-partial-envelope.json").findings
    assert (macie.source, macie.severity_score) == ("macie", 15.0)  # Normalized only, no Label
    [inspector] = run("securityhub/sh-asff-inspector-network-reachability-ssh.json").findings
    assert (inspector.source, inspector.region) == ("inspector", "us-east-1")  # region from ProductArn
    [minimal] = run("guardduty/gd-eb-minimal-recon-ec2-portprobeunprotectedport-notifyslack-sev9.json").findings
    assert (minimal.account, minimal.region, minimal.count) == (None, "us-east-1", 1234)
    [policy] = run("cloudtrail/ct-eb-putbucketpolicy-public-principal-cloudbuddy.json").findings
    assert policy.resources == [{"type": "AwsS3Bucket", "id": "arn:aws:s3:::jcazure2-dummy-bucket5"}]
