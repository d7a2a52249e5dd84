"""`python bot.py findings normalize FILE` on the formats AWS publishes since 2024: the new
Security Hub's OCSF findings (event and bare, classes 2001-2004), Inspector2 and Macie events.
Every sample is a published one (tests/fixtures/README.md names each source)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.support.cli import run_bot

FIXTURES = REPO / "tests" / "fixtures"

CASES = [
    # file, account, region, severity, type, resource ids, raw_format
    ("ocsf/sh2-eb-findings-imported-v2-guardduty-sumologic.json", "869728294964", "us-east-1", "low",
     "Stealth:IAMUser/CloudTrailLoggingDisabled", ["ASIA4U76YS3TEOA3O"], "ocsf-event"),
    ("ocsf/sh2-ocsf-2004-detection-guardduty-sumologic.json", "869728294964", "us-east-1", "low",
     "Stealth:IAMUser/CloudTrailLoggingDisabled", ["ASIA4U76YS3TEOA3O"], "ocsf"),
    ("ocsf/sh2-ocsf-2003-compliance-sqs1-elastic.json", "123456789012", "us-east-2", "medium",
     "Software and Configuration Checks/Industry and Regulatory Standards",
     ["https://sqs.us-east-2.amazonaws.com/123456789012/securityhubfinding"], "ocsf"),
    ("ocsf/sh2-ocsf-2002-vulnerability-cve-2025-8194-elastic.json", "123456789012", "us-east-2", "high",
     "Software and Configuration Checks/Vulnerabilities/CVE", ["i-abcd1235cdef1234"], "ocsf"),
    ("ocsf/sl-ocsf-2001-security-finding-ocsf-examples.json", "123456789100", "us-east-1", "informational",
     "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices",
     ["arn:aws:ec2:us-east-1:123456789100:security-group/sg-1234567899900"], "ocsf"),
    ("inspector/inspector2-eb-ec2-package-vulnerability-awsdocs.json", "123456789012", "eu-central-1", "medium",
     "PACKAGE_VULNERABILITY", ["i-12345678901234567"], "inspector-event"),
    ("inspector/inspector2-eb-lambda-package-vulnerability-awsdocs.json", "123456789012", "eu-central-1", "high",
     "PACKAGE_VULNERABILITY", ["arn:aws:lambda:eu-central-1:123456789012:function:VulnerableFunction:$LATEST"],
     "inspector-event"),
    ("macie/macie-eb-finding-encryption-disabled-awsdocs-truncated.json", "123456789012", "us-east-1", "low",
     "Policy:IAMUser/S3BucketEncryptionDisabled", [], "macie-event"),
]


@pytest.mark.parametrize("name,account,region,severity,kind,resource_ids,raw_format", CASES,
                         ids=[c[0].split("/")[-1] for c in CASES])
def test_findings_normalize_prints_one_finding_with_account_region_severity_type_and_resources(
        name, account, region, severity, kind, resource_ids, raw_format):
    result = run_bot("findings", "normalize", str(FIXTURES / name))
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    finding = json.loads(line)
    assert (finding["account"], finding["region"], finding["severity"], finding["type"]) == (
        account, region, severity, kind)
    assert [r["id"] for r in finding["resources"]] == resource_ids
    assert finding["raw_format"] == raw_format


def test_vulnerability_findings_name_their_cves_and_packages_as_indicators():
    inspector = json.loads(run_bot("findings", "normalize", str(
        FIXTURES / "inspector/inspector2-eb-lambda-package-vulnerability-awsdocs.json")).stdout)
    ocsf = json.loads(run_bot("findings", "normalize", str(
        FIXTURES / "ocsf/sh2-ocsf-2002-vulnerability-cve-2025-8194-elastic.json")).stdout)
    assert (inspector["indicators"]["cve"], inspector["indicators"]["package"]) == (["CVE-2023-30861"], ["flask"])
    assert ocsf["indicators"]["cve"] == ["CVE-2025-8194"]
    assert ocsf["indicators"]["instance_id"] == ["i-abcd1235cdef1234"]
    assert "python3" in ocsf["indicators"]["package"]


def test_ocsf_detection_finding_keys_the_access_key_and_its_principal_as_indicators():
    finding = json.loads(run_bot("findings", "normalize", str(
        FIXTURES / "ocsf/sh2-eb-findings-imported-v2-guardduty-sumologic.json")).stdout)
    assert finding["resources"] == [{"type": "AwsIamAccessKey", "id": "ASIA4U76YS3TEOA3O"}]
    assert "ASIA4U76YS3TB3MEOA3O" in finding["indicators"]["access_key_id"]
    assert finding["indicators"]["principal"] == ["cis_automation"]
    assert (finding["first_seen"], finding["last_seen"], finding["count"]) == (
        "2024-10-24T10:21:26.000Z", "2025-07-22T02:52:14.000Z", 264)


def test_ocsf_fatal_severity_is_critical_and_a_non_finding_class_is_refused_with_its_reason():
    document = json.loads((FIXTURES / "ocsf/sh2-ocsf-2003-compliance-sqs1-elastic.json").read_text())
    fatal = run_bot("findings", "normalize", "-", stdin=json.dumps({**document, "severity_id": 6}))
    assert json.loads(fatal.stdout)["severity"] == "critical"
    activity = run_bot("findings", "normalize", "-", stdin=json.dumps(
        {**document, "class_uid": 3002, "class_name": "Authentication"}))
    assert activity.returncode != 0
    assert "OCSF class 3002 (Authentication) is not a finding class" in activity.stderr


def test_security_lake_json_lines_of_ocsf_records_of_several_versions_each_become_a_finding():
    """Security Lake's records, one OCSF document per line, OCSF 1.0 (2001) beside 1.6 (2002, 2003)."""
    lines = "\n".join(json.dumps(json.loads((FIXTURES / name).read_text())) for name in (
        "ocsf/sl-ocsf-2001-security-finding-ocsf-examples.json",
        "ocsf/sh2-ocsf-2002-vulnerability-cve-2025-8194-elastic.json",
        "ocsf/sh2-ocsf-2003-compliance-sqs1-elastic.json"))
    result = run_bot("findings", "normalize", "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["account"], f["severity"]) for f in printed] == [
        ("123456789100", "informational"), ("123456789012", "high"), ("123456789012", "medium")]


def test_a_macie_event_names_its_bucket_and_object_as_resources(tmp_path):
    """AWS publishes the Macie event only truncated before `resourcesAffected` (fixtures
    README); the part added here follows the Macie API's ResourcesAffected (s3Bucket.name/arn,
    s3Object.bucketArn/key/path), as botocore's macie2 model names them."""
    event = json.loads((FIXTURES / "macie/macie-eb-finding-encryption-disabled-awsdocs-truncated.json").read_text())
    event["detail"]["resourcesAffected"] = {
        "s3Bucket": {"name": "amzn-s3-demo-bucket", "arn": "arn:aws:s3:::amzn-s3-demo-bucket"},
        "s3Object": {"bucketArn": "arn:aws:s3:::amzn-s3-demo-bucket", "key": "hr/employees.csv",
                     "path": "amzn-s3-demo-bucket/hr/employees.csv"}}
    path = tmp_path / "macie.json"
    path.write_text(json.dumps(event))
    result = run_bot("findings", "normalize", str(path))
    assert result.returncode == 0, result.stderr
    finding = json.loads(result.stdout)
    assert [(r["type"], r["id"]) for r in finding["resources"]] == [
        ("AwsS3Bucket", "arn:aws:s3:::amzn-s3-demo-bucket"),
        ("AwsS3Object", "arn:aws:s3:::amzn-s3-demo-bucket/hr/employees.csv")]
