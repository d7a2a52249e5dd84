"""GuardDuty attack sequences read from `service.detection.sequence`: the finding's
resources and indicators, the signal timeline, the members, and the shipped route."""

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from core.findings import sequences
from core.findings.normalize import normalize
from core.findings.routing import Router
from tests.core.findings.test_routing import _config
from tests.support.cli import run_bot

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "guardduty"
SEQUENCE = FIXTURES / "attack-sequence-credentials.json"


def load(name="attack-sequence-credentials.json"):
    return json.loads((FIXTURES / name).read_text())


def test_findings_normalize_prints_the_attack_sequence_with_its_account_region_severity_type_and_resources():
    result = run_bot("findings", "normalize", str(SEQUENCE))
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert (line["account"], line["region"], line["severity"], line["type"]) == (
        "123456789012", "us-east-1", "critical", "AttackSequence:IAM/CompromisedCredentials")
    assert [r["id"] for r in line["resources"]] == ["AKIAIOSFODNN7EXAMPLE", "i-0a1b2c3d4e5f67890",
                                                    "arn:aws:s3:::amzn-s3-demo-bucket"]
    assert line["indicators"]["ip"] == ["198.51.100.7"]
    assert line["indicators"]["principal"] == ["john_doe"]
    assert line["indicators"]["access_key_id"] == ["AKIAIOSFODNN7EXAMPLE"]
    assert line["indicators"]["instance_id"] == ["i-0a1b2c3d4e5f67890"]


def test_the_sequence_keeps_signals_oldest_first_actors_endpoints_and_members():
    [finding] = normalize(load()).findings
    sequence = sequences.read(finding.raw)
    assert [s.name for s in sequence.timeline()] == ["UnauthorizedAccess:IAMUser/TorIPCaller", "CreateRole",
                                                     "Stealth:IAMUser/CloudTrailLoggingDisabled", "GetObject"]
    assert sequence.timeline()[-1].count == 60
    assert [(a.kind, a.id) for a in sequence.actors] == [("IAMUser", "john_doe")]
    assert [(e.kind, e.id) for e in sequence.endpoints] == [("ip", "198.51.100.7")]
    assert sequence.member_ids() == ["b1e2d3c4b5a6978877665544332211aa", "c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4"]
    assert ("TOR_IP", ("198.51.100.7",)) in sequence.indicators
    member = normalize(load("attack-sequence-member-torip.json")).findings[0]
    assert sequences.member_of(member.raw) == "a4c9ec6a7cdb8e1c5a6b7f2e3d4c5b6a"
    assert sequences.read(member.raw) is None


def test_the_api_spelling_reads_the_same_as_the_event_spelling():
    """GetFindings answers UpperCamel keys, EventBridge lowerCamel: both give the same sequence."""
    detail = load()["detail"]
    api = _upper(detail, _guardduty_model(), "Finding")
    assert sequences.read(api) == sequences.read(detail)
    [finding] = normalize({"Findings": [api]}).findings
    assert [r["id"] for r in finding.resources] == ["AKIAIOSFODNN7EXAMPLE", "i-0a1b2c3d4e5f67890",
                                                    "arn:aws:s3:::amzn-s3-demo-bucket"]


def test_the_fixtures_fields_are_those_of_botocores_guardduty_model():
    """Stubber (moto has no GuardDuty findings): the sample, spelled as GetFindings answers it,
    is validated against the installed service model's response shape."""
    model = _guardduty_model()
    findings = [_upper(load(name)["detail"], model, "Finding") for name in (
        "attack-sequence-credentials.json", "attack-sequence-member-torip.json", "attack-sequence-member-trail.json")]
    client = boto3.client("guardduty", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("get_findings", {"Findings": findings},
                          {"DetectorId": "12abc34d567e8fa901bc2d34e56789f0", "FindingIds": [f["Id"] for f in findings]})
        got = client.get_findings(DetectorId="12abc34d567e8fa901bc2d34e56789f0", FindingIds=[f["Id"] for f in findings])
    assert got["Findings"][0]["Service"]["Detection"]["Sequence"]["Signals"][0]["Type"] == "FINDING"


def test_the_shipped_route_declares_sev1_and_can_be_turned_off_or_overridden(tmp_path):
    [finding] = normalize(load()).findings
    shipped = Router.from_config(_config(tmp_path, "{}\n")).route(finding)
    assert (shipped.route, shipped.action, shipped.incident_severity) == ("attack-sequences", "declare", "sev1")
    off = Router.from_config(_config(tmp_path, "findings:\n  attack_sequences: {declare: false}\n"))
    assert off.route(finding).route == "default" and off.route(finding).action == "post"
    mine = Router.from_config(_config(tmp_path, "findings:\n  routes:\n"
                                                "    - {name: all-critical, match: {min_severity: critical}, "
                                                "action: post, channel: sec-crit}\n"))
    assert mine.route(finding).route == "all-critical", "the user's own routes come first"


def _guardduty_model():
    return boto3.client("guardduty", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x").meta.service_model


def _upper(node, model, shape_name):
    """An event's lowerCamel document -> the API's member names, by the model's locationName;
    a key the model does not know fails the test."""
    return _convert(node, model.shape_for(shape_name))


def _convert(node, shape):
    if shape.type_name == "structure":
        by_location = {(m.serialization.get("name") or name): (name, m) for name, m in shape.members.items()}
        out = {}
        for key, value in node.items():
            assert key in by_location, f"{key!r} is not a member of {shape.name}"
            name, member = by_location[key]
            out[name] = _convert(value, member)
        return out
    if shape.type_name == "list":
        return [_convert(item, shape.member) for item in node]
    if shape.type_name == "timestamp":
        return datetime.fromtimestamp(node, tz=timezone.utc) if isinstance(node, (int, float)) else node
    return copy.deepcopy(node)
