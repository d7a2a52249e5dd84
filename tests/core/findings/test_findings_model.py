"""The Finding schema contract, timestamp normalisation and indicator hygiene."""
import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.findings.indicators import Indicators, cloudtrail_indicators
from core.findings.model import Finding, severity_from_normalized
from core.findings.timeutil import format_timestamp, iso_utc, parse_timestamp

SCHEMA_KEYS = ["id", "source", "product", "type", "title", "severity", "severity_score", "account", "region",
               "resources", "indicators", "first_seen", "last_seen", "count", "raw_format"]


def make_finding():
    return Finding(id="f1", source="guardduty", product="guardduty", type="T", title="t", severity="low",
                   severity_score=10.0, account="123456789012", region="us-east-1",
                   resources=[{"type": "AwsEc2Instance", "id": "i-1"}], raw_format="guardduty",
                   updated_at="2026-11-23T15:12:00.000Z", raw={"Id": "f1"}, tags={"team": "a"}, rule=None)


def test_to_json_has_exact_keys_in_order_and_hides_internal_attributes():
    data = make_finding().to_json()
    assert list(data) == SCHEMA_KEYS
    assert list(data["indicators"]) == ["ip", "domain", "access_key_id", "principal", "instance_id"]
    assert not {"updated_at", "raw", "tags", "rule"} & set(data)


def test_to_json_returns_copies():
    finding = make_finding()
    data = finding.to_json()
    data["resources"][0]["id"] = "changed"
    data["indicators"]["ip"].append("192.0.2.1")
    assert finding.resources == [{"type": "AwsEc2Instance", "id": "i-1"}]
    assert finding.indicators["ip"] == []


@pytest.mark.parametrize("score, band", [
    (0, "informational"), (0.5, "informational"), (1, "low"), (39.9, "low"), (40, "medium"),
    (69.9, "medium"), (70, "high"), (89.9, "high"), (90, "critical"), (100, "critical"),
])
def test_normalized_bands(score, band):
    assert severity_from_normalized(score) == band


@pytest.mark.parametrize("value, expected", [
    ("2026-11-23T15:12:00Z", "2026-11-23T15:12:00.000Z"),
    ("2026-11-23T15:12:00.5Z", "2026-11-23T15:12:00.500Z"),
    ("2026-11-23T15:12:00.1234567Z", "2026-11-23T15:12:00.123Z"),
    ("2026-11-23T16:12:00+01:00", "2026-11-23T15:12:00.000Z"),
    ("2026-11-23 15:12:00", "2026-11-23T15:12:00.000Z"),  # naive -> UTC
    (1763910720, "2025-11-23T15:12:00.000Z"),  # epoch seconds
    (1763910720123, "2025-11-23T15:12:00.123Z"),  # epoch milliseconds
    (1636625755.218, "2021-11-11T10:15:55.218Z"),
    ("1763910720", "2025-11-23T15:12:00.000Z"),
    (datetime(2026, 11, 23, 15, 12, tzinfo=timezone(timedelta(hours=-5))), "2026-11-23T20:12:00.000Z"),
])
def test_timestamps_normalise_to_utc_z(value, expected):
    assert iso_utc(value) == expected


@pytest.mark.parametrize("value", ["XXXX", "", "   ", None, True, "2026-13-45T00:00:00Z", 10**20, {"a": 1}, []])
def test_unusable_timestamps_give_none(value):
    assert parse_timestamp(value) is None


def test_fallback_chain_and_lexicographic_order():
    assert iso_utc("XXXX", None, "2026-01-01T00:00:00Z") == "2026-01-01T00:00:00.000Z"
    assert iso_utc("XXXX", None) is None
    earlier = format_timestamp(datetime(2026, 11, 23, 15, 12, 0, tzinfo=timezone.utc))
    later = format_timestamp(datetime(2026, 11, 23, 15, 12, 0, 500000, tzinfo=timezone.utc))
    assert earlier < later  # fixed width: string order == time order (dedup relies on it)


def test_ip_indicators_are_validated_normalised_and_sorted():
    found = Indicators()
    for value in ["203.0.113.9", "AWS Internal", "ec2.amazonaws.com", "0.0.0.0", "127.0.0.1", "::1",
                  "999.1.1.1", "2001:0db8:0000::0007", "198.51.100.1", "203.0.113.9", 42, None]:
        found.add_ip(value)
    assert found.as_dict()["ip"] == ["198.51.100.1", "2001:db8::7", "203.0.113.9"]


def test_domains_and_other_values_are_cleaned():
    found = Indicators()
    for value in ["Evil.Example.COM.", "evil.example.com", " ", ".", None]:
        found.add_domain(value)
    for value in ["", "  ", None, True, {"a": 1}, "AKIAEXAMPLE"]:
        found.add("access_key_id", value)
    found.add_instance_ids_in("arn:aws:ec2:us-east-1:1:instance/i-0abc1234def567890")
    data = found.as_dict()
    assert data["domain"] == ["evil.example.com"]
    assert data["access_key_id"] == ["AKIAEXAMPLE"]
    assert data["instance_id"] == ["i-0abc1234def567890"]


def test_cloudtrail_indicators_skip_service_hosts_and_collect_request_instances():
    record = {
        "sourceIPAddress": "ssm.amazonaws.com",
        "userIdentity": {"type": "IAMUser", "userName": "ops", "accessKeyId": "AKIAOPS"},
        "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-1"}, {"instanceId": "i-2"}]}},
    }
    assert cloudtrail_indicators(record) == {
        "ip": [], "domain": [], "access_key_id": ["AKIAOPS"], "principal": ["ops"], "instance_id": ["i-1", "i-2"]}


def test_core_findings_has_no_aws_sdk_or_slack_imports():
    """core/ is pure domain code: the bot/handlers own boto3 and Slack."""
    forbidden = {"boto3", "botocore", "slack_sdk", "slack_bolt", "slack"}
    package = Path(__file__).resolve().parents[3] / "core" / "findings"
    offenders = []
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert list(package.glob("*.py")), "package not found"
    assert offenders == []
