"""Security Hub (ASFF) findings: every wrapper shape, source derivation and severity fallbacks."""
import json
from pathlib import Path

import pytest

from core.findings.normalize import normalize
from core.findings.asff import severity_of, source_of
from core.findings.model import FindingError

FIXTURES = Path(__file__).parent / "fixtures" / "securityhub"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def findings_of(document):
    result = normalize(document)
    assert result.rejected == []
    return result.findings


def test_raw_guardduty_produced_asff_full_schema():
    [finding] = findings_of(load("asff_raw_guardduty_ssh_bruteforce.json"))
    assert finding.to_json() == {
        "id": "arn:aws:guardduty:us-east-1:123456789012:detector/12abc34d567e8fa901bc2d34e56789f0"
              "/finding/5cc6b1e3f0a94d2c8e7b6a5d4c3b2a19",
        "source": "guardduty",
        "product": "GuardDuty",
        "type": "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce",
        "title": "203.0.113.200 is performing SSH brute force attacks against i-0abc1234def567890.",
        "severity": "medium",
        "severity_score": 50.0,
        "account": "123456789012",
        "region": "us-east-1",
        "resources": [{"type": "AwsEc2Instance",
                       "id": "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc1234def567890"}],
        "indicators": {
            # Inbound: the source is the attacker; the destination 10.0.4.12 is our instance.
            "ip": ["203.0.113.200"],
            "domain": [],
            "access_key_id": [],
            "principal": [],
            "instance_id": ["i-0abc1234def567890"],
        },
        "first_seen": "2026-11-23T11:02:17.000Z",
        "last_seen": "2026-11-23T14:47:53.000Z",
        "count": 418,  # ProductFields aws/guardduty/service/count
        "raw_format": "asff",
    }
    assert finding.updated_at == "2026-11-23T14:55:01.336Z"
    assert finding.tags == {"Name": "sftp-gateway", "owner": "integrations"}


def test_batch_import_findings_shape_custom_product():
    leaked, root = findings_of(load("asff_batch_import_custom_product.json"))
    assert (leaked.source, leaked.product) == ("secret-scanner", "Secret Scanner")
    assert (leaked.severity, leaked.severity_score) == ("high", 70.0)  # Label only -> Security Hub's 70
    assert leaked.region == "eu-west-1"  # no Region field: taken from the ProductArn
    assert (leaked.first_seen, leaked.last_seen) == ("2026-11-23T09:00:00.000Z", "2026-11-23T09:05:00.000Z")
    assert leaked.resources == [
        {"type": "AwsIamAccessKey", "id": "AWS::IAM::AccessKey:AKIAEXAMPLELEAKED001"},
        {"type": "AwsIamUser", "id": "arn:aws:iam::210987654321:user/ci-publisher"},
    ]
    assert leaked.indicators["access_key_id"] == ["AKIAEXAMPLELEAKED001"]
    assert leaked.indicators["principal"] == ["arn:aws:iam::210987654321:user/ci-publisher", "ci-publisher"]
    assert leaked.tags == {"team": "payments"}
    assert root.product == "arn:aws:securityhub:eu-west-1:210987654321:product/210987654321/default"
    assert (root.severity, root.severity_score, root.resources) == ("critical", 90.0, [])


def test_getfindings_response_with_next_token():
    inspector, analyzer = findings_of(load("asff_getfindings_inspector_accessanalyzer.json"))
    assert (inspector.source, inspector.type, inspector.severity) == (
        "inspector", "Software and Configuration Checks/Vulnerabilities/CVE", "high")
    assert inspector.indicators["instance_id"] == ["i-0123456789abcdef0"]
    assert inspector.raw_format == "asff"
    assert (analyzer.source, analyzer.product, analyzer.severity, analyzer.severity_score) == (
        "access-analyzer", "IAM Access Analyzer", "critical", 90.0)
    # No FirstObservedAt/LastObservedAt: CreatedAt/UpdatedAt.
    assert analyzer.first_seen == analyzer.last_seen == "2026-11-23T12:00:00.000Z"


def test_eventbridge_imported_event_with_two_findings():
    control, macie = findings_of(load("asff_eventbridge_imported_two_findings.json"))
    assert {control.raw_format, macie.raw_format} == {"asff-event"}
    assert (control.source, control.severity, control.severity_score) == ("securityhub", "critical", 90.0)
    assert control.tags == {"app": "legacy-rdp"}
    # Macie finding without Label: Normalized 55 -> medium band.
    assert (macie.source, macie.severity, macie.severity_score) == ("macie", "medium", 55.0)
    assert [r["type"] for r in macie.resources] == ["AwsS3Bucket", "AwsS3Object"]
    assert macie.raw["Id"] == "b6a1f35c2d8e4c79a0b3e2d1c4f5a6b7"


def test_eventbridge_custom_action_event():
    [finding] = findings_of(load("asff_eventbridge_custom_action.json"))
    assert (finding.raw_format, finding.severity, finding.account) == ("asff-event", "critical", "123456789012")
    assert finding.resources == [{"type": "AwsAccount", "id": "AWS::::Account:123456789012"}]


def test_array_of_findings_with_product_only_and_normalized_only_severity():
    config, guardduty = findings_of(load("asff_array_config_and_guardduty_iam.json"))
    assert (config.source, config.severity, config.severity_score) == ("config", "high", 75.0)
    assert (guardduty.source, guardduty.severity, guardduty.severity_score) == ("guardduty", "critical", 95.0)
    assert guardduty.product == "arn:aws:securityhub:ap-southeast-2::product/aws/guardduty"
    assert guardduty.first_seen == "2026-11-23T02:10:00.000Z"  # FirstObservedAt "XXXX" -> CreatedAt
    assert guardduty.indicators == {
        "ip": ["192.0.2.45"], "domain": ["proxy.example.com"], "access_key_id": ["AKIAEXAMPLECONTRACT7"],
        "principal": ["contractor-7"], "instance_id": [],
    }


def test_bare_eventbridge_detail_with_findings_list():
    detail = load("asff_eventbridge_imported_two_findings.json")["detail"]
    assert [f.raw_format for f in findings_of(detail)] == ["asff-event", "asff-event"]


@pytest.mark.parametrize("fields, expected", [
    ({"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty"}, "guardduty"),
    ({"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/inspector"}, "inspector"),
    ({"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/macie"}, "macie"),
    ({"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/access-analyzer"}, "access-analyzer"),
    ({"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub"}, "securityhub"),
    ({"ProductName": "IAM Access Analyzer"}, "access-analyzer"),
    ({"ProductFields": {"aws/securityhub/ProductName": "Inspector"}}, "inspector"),
    ({"GeneratorId": "arn:aws:guardduty:us-east-1:1:detector/x"}, "guardduty"),
    ({"GeneratorId": "security-control/IAM.4"}, "securityhub"),
    ({"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/firewall-manager",
      "ProductName": "Firewall Manager"}, "firewall-manager"),
    ({"ProductArn": "arn:aws:securityhub:us-east-1::product/crowdstrike/crowdstrike-falcon"}, "crowdstrike-falcon"),
])
def test_source_derivation(fields, expected):
    assert source_of(fields) == expected


@pytest.mark.parametrize("severity, provider, expected", [
    ({"Label": "LOW", "Normalized": 30}, None, ("low", 30.0)),
    ({"Label": "informational"}, None, ("informational", 0.0)),
    ({"Normalized": 0}, None, ("informational", 0.0)),
    ({"Normalized": 39}, None, ("low", 39.0)),
    ({"Normalized": 40}, None, ("medium", 40.0)),
    ({"Normalized": 70}, None, ("high", 70.0)),
    ({"Normalized": 89}, None, ("high", 89.0)),
    ({"Normalized": 90}, None, ("critical", 90.0)),
    ({"Normalized": "150"}, None, ("critical", 100.0)),
    ({"Product": 8.5}, None, ("low", 8.5)),
    ({}, {"Label": "HIGH"}, ("high", 70.0)),
    ({"Label": "bogus", "Normalized": 45}, None, ("medium", 45.0)),
])
def test_severity_fallbacks(severity, provider, expected):
    assert severity_of(severity, provider) == expected


@pytest.mark.parametrize("severity", [None, {}, {"Label": "bogus"}, {"Normalized": "XXXX"}])
def test_unusable_severity(severity):
    with pytest.raises(FindingError, match="Severity"):
        severity_of(severity)


def test_finding_without_id_is_rejected_others_kept():
    document = load("asff_getfindings_inspector_accessanalyzer.json")
    del document["Findings"][1]["Id"]
    result = normalize(document)
    assert [f.source for f in result.findings] == ["inspector"]
    assert [r.reason for r in result.rejected] == ["document 1 (Findings[1]): Security Hub finding without Id"]


def test_region_falls_back_to_resource_then_envelope():
    finding = load("asff_raw_guardduty_ssh_bruteforce.json")
    del finding["Region"]
    finding["ProductArn"] = "not-an-arn"
    [result] = findings_of(finding)
    assert result.region == "us-east-1"  # Resources[0].Region
    finding["Resources"] = []
    event = {"detail-type": "Security Hub Findings - Imported", "region": "eu-north-1",
             "detail": {"findings": [finding]}}
    assert findings_of(event)[0].region == "eu-north-1"


def test_tags_merge_across_resources_with_the_first_resource_winning():
    document = load("asff_batch_import_custom_product.json")
    document["Findings"][0]["Resources"][0]["Tags"] = {"team": "security", "env": "prod"}
    finding = findings_of(document)[0]
    assert finding.tags == {"team": "security", "env": "prod"}
    assert "team" not in finding.to_json()


def test_an_attack_sequences_asff_copy_is_known_by_its_guardduty_type_and_others_keep_types0():
    """The derived ASFF copy (tests/fixtures/README.md): the classifier's "-" back to "/", so the
    shipped AttackSequence:* route matches it; an ordinary GuardDuty finding keeps Types[0]."""
    sequence = json.loads((Path(__file__).parents[2] / "fixtures" / "guardduty" /
                           "attack-sequence-credentials-asff.json").read_text())
    [copy] = findings_of(sequence)
    assert (copy.type, copy.severity) == ("AttackSequence:IAM/CompromisedCredentials", "critical")
    [ordinary] = findings_of(load("asff_raw_guardduty_ssh_bruteforce.json"))
    assert ordinary.type == "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"
    other_product = dict(sequence, ProductArn="arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
                         ProductName="Custom", GeneratorId="custom")
    assert findings_of(other_product)[0].type == "TTPs/AttackSequence:IAM-CompromisedCredentials"
