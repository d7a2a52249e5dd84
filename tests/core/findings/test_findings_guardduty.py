"""GuardDuty findings in every accepted shape normalise to the stable schema."""
import json
from pathlib import Path

import pytest

from core.findings.normalize import normalize, normalize_text
from core.findings.guardduty import lower_keys, severity_of
from core.findings.model import FindingError

FIXTURES = Path(__file__).parent / "fixtures" / "guardduty"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def only_finding(document):
    result = normalize(document)
    assert result.rejected == []
    assert len(result.findings) == 1
    return result.findings[0]


def test_raw_lowercase_finding_full_schema():
    finding = only_finding(load("gd_raw_bitcoin_dns_lowercase.json"))
    assert finding.to_json() == {
        "id": "a2c6f3e1b9d84e7f90c1d2e3f4a5b6c7",
        "source": "guardduty",
        "product": "guardduty",
        "type": "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        "title": "Bitcoin-related domain name queried by EC2 instance i-0f1e2d3c4b5a69788.",
        "severity": "high",
        "severity_score": 80.0,
        "account": "210987654321",
        "region": "eu-west-1",
        "resources": [{"type": "AwsEc2Instance", "id": "i-0f1e2d3c4b5a69788"}],
        "indicators": {
            "ip": [],
            "domain": ["xmr.pool.example.net"],
            "access_key_id": [],
            "principal": [],
            "instance_id": ["i-0f1e2d3c4b5a69788"],
        },
        "first_seen": "2026-11-20T22:05:11.000Z",
        "last_seen": "2026-11-23T14:58:40.000Z",
        "count": 37,
        "raw_format": "guardduty",
    }
    assert finding.updated_at == "2026-11-23T15:04:12.908Z"
    assert finding.tags == {"Name": "batch-worker-7", "team": "data-platform", "env": "prod"}
    assert finding.raw["service"]["action"]["actionType"] == "DNS_REQUEST"


def test_getfindings_response_with_api_upper_camel_keys():
    result = normalize(load("gd_getfindings_response_uppercase.json"))
    assert result.rejected == []
    iam, probe = result.findings
    assert (iam.id, iam.type, iam.severity, iam.severity_score) == (
        "7ec7a9c1e5b24f1d8b7e0b3d5f1a2c3d", "Discovery:IAMUser/AnomalousBehavior", "medium", 50.0)
    assert iam.resources == [{"type": "AwsIamAccessKey", "id": "ASIAQWERTYUIOP123456"}]
    assert iam.indicators["ip"] == ["185.220.101.34"]
    assert iam.indicators["domain"] == ["vpn.example.org"]
    assert iam.indicators["access_key_id"] == ["ASIAQWERTYUIOP123456"]
    assert iam.indicators["principal"] == ["deploy-bot"]
    assert (iam.first_seen, iam.last_seen, iam.count) == (
        "2026-11-22T03:29:57.000Z", "2026-11-22T04:02:13.000Z", 6)
    assert iam.raw_format == "guardduty"
    assert iam.raw["Service"]["Count"] == 6  # raw keeps the original key style

    assert (probe.severity, probe.severity_score, probe.count) == ("low", 20.0, 112)
    # Remote probers only, deduplicated and sorted; the LocalIpDetails address is ours.
    assert probe.indicators["ip"] == ["198.51.100.23", "203.0.113.77"]
    assert probe.indicators["instance_id"] == ["i-0123456789abcdef0"]
    assert probe.tags == {"Name": "bastion", "owner": "netops"}
    assert probe.last_seen == "2026-11-23T13:37:00.000Z"


def test_api_upper_camel_keys_at_any_depth_read_like_lower_camel_ones():
    """Only the top level, `service`'s own keys and `resource` are rewritten to lower camel
    (the indicator walk compares deeper keys lower-cased): nothing read may differ."""
    document = load("gd_getfindings_response_uppercase.json")
    lowered = {"Findings": [lower_keys(f) for f in document["Findings"]]}

    def read(doc):
        return [dict(f.to_json(), tags=f.tags, updated_at=f.updated_at) for f in normalize(doc).findings]

    assert read(document) == read(lowered) and len(read(document)) == 2


def test_eventbridge_event_with_s3_bucket_as_primary_resource():
    finding = only_finding(load("gd_eventbridge_s3_exfiltration.json"))
    assert finding.raw_format == "guardduty-event"
    assert (finding.id, finding.account, finding.region) == (
        "f0c4b2a8e6d14c3b9a7e5d3c1b0a9f8e", "444455556666", "us-west-2")
    assert finding.resources == [
        {"type": "AwsS3Bucket", "id": "arn:aws:s3:::acme-finance-exports"},
        {"type": "AwsIamAccessKey", "id": "AKIAEXAMPLEKEY000042"},
    ]
    assert finding.tags == {"data-classification": "confidential", "team": "finance"}
    assert finding.indicators["ip"] == ["45.134.26.12"]
    assert finding.indicators["principal"] == ["reporting-etl"]
    assert finding.count == 212
    assert finding.raw["type"] == "Exfiltration:S3/MaliciousIPCaller"  # the detail, not the envelope


def test_sns_notification_wrapping_eventbridge_event_is_unwrapped():
    finding = only_finding(load("gd_sns_notification_eventbridge.json"))
    assert finding.raw_format == "guardduty-event"
    assert finding.id == "3e9d1c7b5a3f4e2d8c6b4a2f0e8d6c4b"
    assert (finding.severity, finding.severity_score) == ("high", 85.0)
    assert (finding.account, finding.region) == ("777788889999", "eu-central-1")
    assert finding.resources == [{"type": "AwsIamAccessKey", "id": "ASIA2EXAMPLESTOLEN01"}]
    assert finding.indicators["ip"] == ["91.219.236.18"]
    assert finding.indicators["access_key_id"] == ["ASIA2EXAMPLESTOLEN01"]


def test_redacted_values_and_odd_types_do_not_crash():
    finding = only_finding(load("gd_raw_redacted_export.json"))
    assert finding.account == "XXXXXXXXXXXX"  # kept as given
    # eventFirstSeen/eventLastSeen/createdAt are "XXXX": fall back to updatedAt.
    assert finding.first_seen == finding.last_seen == "2026-11-19T07:45:30.500Z"
    assert finding.count == 3  # "3" as a string
    assert finding.indicators["ip"] == ["2001:db8::7"]  # "XXX.XXX.XXX.XXX" dropped, local IP excluded
    assert finding.tags == {"Name": "legacy-sftp", "env": ""}


def test_bare_detail_is_a_raw_finding_and_partial_envelope_is_an_event():
    detail = load("gd_eventbridge_s3_exfiltration.json")["detail"]
    assert only_finding(detail).raw_format == "guardduty"
    partial = {"region": "sa-east-1", "account": "999988887777",
               "detail": {k: v for k, v in detail.items() if k not in ("accountId", "region")}}
    finding = only_finding(partial)
    assert finding.raw_format == "guardduty-event"
    assert (finding.account, finding.region) == ("999988887777", "sa-east-1")


@pytest.mark.parametrize("raw, band, score", [
    (1, "low", 10.0), (3.9, "low", 39.0), (4, "medium", 40.0), (6.9, "medium", 69.0),
    (7, "high", 70.0), (8.9, "high", 89.0), (9, "critical", 90.0), (10, "critical", 100.0),
    (14, "critical", 100.0), ("7.5", "high", 75.0), ("High", "high", 70.0), ("CRITICAL", "critical", 90.0),
])
def test_severity_bands(raw, band, score):
    assert severity_of(raw) == (band, score)


@pytest.mark.parametrize("raw", [None, "", "severe", [], {"Label": "HIGH"}, float("nan")])
def test_unusable_severity_is_a_finding_error(raw):
    with pytest.raises(FindingError, match="Severity"):
        severity_of(raw)


@pytest.mark.parametrize("drop, reason", [
    ("id", "document 1: GuardDuty finding without Id"),
    ("type", "document 1: GuardDuty finding a2c6f3e1b9d84e7f90c1d2e3f4a5b6c7 without Type"),
])
def test_missing_required_fields_are_rejected(drop, reason):
    document = load("gd_raw_bitcoin_dns_lowercase.json")
    del document[drop]
    if drop == "type":
        document["Type"] = None  # keeps it recognisable as GuardDuty
    result = normalize(document)
    assert result.findings == []
    assert [r.reason for r in result.rejected] == [reason]


def test_unusable_severity_in_document_is_rejected_not_raised():
    document = load("gd_raw_bitcoin_dns_lowercase.json")
    document["severity"] = "n/a"
    result = normalize_text(json.dumps(document))
    assert result.findings == []
    assert "unusable Severity 'n/a'" in result.rejected[0].reason


def test_missing_timestamps_and_count_have_safe_defaults():
    finding = only_finding({"id": "x1", "type": "Recon:EC2/Portscan", "severity": 5, "service": {}})
    assert (finding.first_seen, finding.last_seen, finding.updated_at) == (None, None, None)
    assert finding.count == 1
    assert finding.title == "Recon:EC2/Portscan"
    assert finding.account is None and finding.resources == []


def test_tags_merge_with_the_primary_resource_winning():
    document = load("gd_eventbridge_s3_exfiltration.json")
    document["detail"]["resource"]["instanceDetails"] = {
        "instanceId": "i-0123", "tags": [{"key": "team", "value": "web"}, {"key": "Name", "value": "box"}]}
    finding = only_finding(document)
    assert finding.resources[0] == {"type": "AwsS3Bucket", "id": "arn:aws:s3:::acme-finance-exports"}
    assert finding.tags == {"data-classification": "confidential", "team": "finance", "Name": "box"}
