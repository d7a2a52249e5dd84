"""CloudTrail events become findings only through a detection rule; others are 'no match'."""
import json
from pathlib import Path

from core.findings.cloudtrail_rules import load_rules
from core.findings.normalize import normalize, normalize_text

FIXTURES = Path(__file__).parent / "fixtures" / "cloudtrail"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_eventbridge_api_call_full_schema():
    result = normalize(load("ct_eb_guardduty_delete_detector_assumed_role.json"))
    assert result.rejected == []
    [finding] = result.findings
    assert finding.to_json() == {
        "id": "e7d6c5b4-a392-4817-a6f5-e4d3c2b1a098",
        "source": "cloudtrail",
        "product": "cloudtrail",
        "type": "DeleteDetector",
        "title": "GuardDuty detector was deleted",
        "severity": "high",
        "severity_score": 70.0,
        "account": "444455556666",
        "region": "us-west-2",
        "resources": [{"type": "AwsGuardDutyDetector", "id": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}],
        "indicators": {
            "ip": ["2001:db8:4006:812::200e"],
            "domain": [],
            "access_key_id": ["ASIAEXAMPLEMALLORY01"],
            "principal": ["arn:aws:iam::444455556666:role/OrgAdmin",
                          "arn:aws:sts::444455556666:assumed-role/OrgAdmin/mallory"],
            "instance_id": [],
        },
        "first_seen": "2026-11-23T15:05:41.000Z",
        "last_seen": "2026-11-23T15:05:41.000Z",
        "count": 1,
        "raw_format": "cloudtrail-event",
    }
    assert finding.rule == "guardduty-detector-deleted"
    assert finding.updated_at == "2026-11-23T15:05:41.000Z"
    assert finding.raw["eventName"] == "DeleteDetector"


def test_console_sign_in_event_root_with_mfa():
    [finding] = normalize(load("ct_eb_root_console_login_with_mfa.json")).findings
    assert (finding.rule, finding.severity, finding.title) == (
        "root-console-login", "high", "Root user signed in to the console")
    assert finding.resources == [{"type": "AwsAccount", "id": "AWS::::Account:123456789012"}]
    assert finding.indicators["principal"] == ["arn:aws:iam::123456789012:root"]
    assert finding.indicators["access_key_id"] == []  # "" is not a key


def test_root_console_login_without_mfa_is_critical():
    event = load("ct_eb_root_console_login_with_mfa.json")
    event["detail"]["additionalEventData"]["MFAUsed"] = "No"
    [finding] = normalize(event).findings
    assert (finding.rule, finding.severity, finding.severity_score) == (
        "root-console-login-without-mfa", "critical", 90.0)


def test_records_file_mixed_matches_and_no_match():
    result = normalize(load("ct_records_mixed.json"))
    assert [(f.type, f.rule, f.severity) for f in result.findings] == [
        ("CreateAccessKey", "root-create-access-key", "critical"),
        ("PutBucketAcl", "s3-bucket-acl-public", "high"),
        ("AuthorizeSecurityGroupIngress", "security-group-open-to-world", "medium"),
        ("DisableSecurityHub", "securityhub-disabled", "high"),
    ]
    assert {f.raw_format for f in result.findings} == {"cloudtrail-event"}
    [no_match] = result.rejected
    assert (no_match.index, no_match.kind) == (1, "no_match")
    assert no_match.reason == "document 1 (Records[2]): CloudTrail event DescribeInstances matched no detection rule"

    root_key, acl, sg, hub = result.findings
    assert root_key.resources == [{"type": "AwsIamAccessKey", "id": "AKIAEXAMPLEROOTKEY01"}]
    assert root_key.indicators["access_key_id"] == ["AKIAEXAMPLEROOTKEY01", "ASIAEXAMPLEROOTSESS1"]
    assert acl.resources == [{"type": "AwsS3Bucket", "id": "arn:aws:s3:::acme-marketing-assets"}]
    assert acl.account == "210987654321" and acl.region == "eu-west-1"
    assert sg.resources == [{"type": "AwsEc2SecurityGroup", "id": "sg-0123abcd4567ef890"}]
    assert hub.indicators["ip"] == []  # sourceIPAddress "AWS Internal"
    assert hub.first_seen == "2026-11-23T08:20:00.250Z"
    assert hub.resources == [{"type": "AwsIamRole", "id": "arn:aws:iam::210987654321:role/SecOps"}]


def test_public_bucket_policy_and_account_from_envelope():
    [finding] = normalize(load("ct_eb_putbucketpolicy_public_aws_star.json")).findings
    assert finding.rule == "s3-bucket-policy-public"
    assert finding.account == "555566667777"  # no recipientAccountId: EventBridge "account"
    assert finding.resources == [{"type": "AwsS3Bucket", "id": "arn:aws:s3:::apse2-demo-site"}]


def test_vpce_restricted_bucket_policy_matches_nothing():
    result = normalize_text((FIXTURES / "ct_raw_putbucketpolicy_vpce_restricted.json").read_text())
    assert result.findings == []
    assert [(r.kind, r.reason) for r in result.rejected] == [
        ("no_match", "document 1: CloudTrail event PutBucketPolicy matched no detection rule")]


def test_custom_rules_replace_the_defaults():
    rules = load_rules([{"name": "inventory", "title": "Inventory read", "severity": "informational",
                         "event_source": "ec2.amazonaws.com", "event_name": "Describe*"}], "test")
    result = normalize(load("ct_records_mixed.json"), rules=rules)
    assert [(f.type, f.rule, f.severity, f.severity_score) for f in result.findings] == [
        ("DescribeInstances", "inventory", "informational", 0.0)]
    assert len(result.rejected) == 4 and {r.kind for r in result.rejected} == {"no_match"}
    assert normalize(load("ct_records_mixed.json"), rules=[]).findings == []


def test_event_without_event_id_is_rejected():
    record = load("ct_raw_putbucketpolicy_vpce_restricted.json")
    del record["eventID"]
    result = normalize(record)
    assert result.rejected[0].reason == "document 1: CloudTrail event PutBucketPolicy without eventID"
    assert result.rejected[0].kind == "invalid"


def test_event_time_falls_back_to_envelope_time():
    event = load("ct_eb_guardduty_delete_detector_assumed_role.json")
    event["detail"]["eventTime"] = "XXXX"
    event["time"] = "2026-11-23T15:06:00Z"
    [finding] = normalize(event).findings
    assert finding.first_seen == finding.last_seen == "2026-11-23T15:06:00.000Z"


def test_records_file_can_carry_service_events_and_redacted_account():
    record = load("ct_raw_putbucketpolicy_vpce_restricted.json")
    record["recipientAccountId"] = "XXXXXXXXXXXX"
    record["requestParameters"]["bucketPolicy"]["Statement"][1].pop("Condition")
    [finding] = normalize({"Records": [record]}).findings
    assert finding.rule == "s3-bucket-policy-public"
    assert finding.account == "XXXXXXXXXXXX"
