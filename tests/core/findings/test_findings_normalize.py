"""Dispatch, unwrapping and text parsing: bad input becomes a Rejection, never an exception."""
import json
from pathlib import Path

import pytest

from core.findings import cloudtrail_rules
from core.findings import normalize as normalize_module
from core.findings.normalize import normalize, normalize_text

FIXTURES = Path(__file__).parent / "fixtures"
GD = json.loads((FIXTURES / "guardduty" / "gd_raw_bitcoin_dns_lowercase.json").read_text())
ASFF = json.loads((FIXTURES / "securityhub" / "asff_raw_guardduty_ssh_bruteforce.json").read_text())
CT_EVENT = json.loads((FIXTURES / "cloudtrail" / "ct_eb_root_console_login_with_mfa.json").read_text())


def reasons(result):
    return [r.reason for r in result.rejected]


def test_json_lines_with_a_broken_line_reports_its_line_number():
    text = "\n".join([json.dumps(GD), "", '{"id": "oops", ', json.dumps(ASFF), json.dumps(CT_EVENT)]) + "\n"
    result = normalize_text(text)
    assert [f.raw_format for f in result.findings] == ["guardduty", "asff", "cloudtrail-event"]
    [rejection] = result.rejected
    assert rejection.index == 2
    assert rejection.reason.startswith("document 2: invalid JSON at line 3, column ")


def test_pretty_printed_document_with_syntax_error_reports_line():
    text = json.dumps(GD, indent=2).replace('"region": "eu-west-1",', '"region": "eu-west-1"', 1)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if '"region": "eu-west-1"' in l) + 1
    result = normalize_text(text)
    assert result.findings == []
    assert reasons(result) == [f"document 1: invalid JSON at line {line}, column 3 "
                               "(document starts at line 1): Expecting ',' delimiter"]


def test_concatenated_pretty_documents_and_resync_after_a_broken_one():
    broken = json.dumps({"a": 1}, indent=2)[:-2]  # no closing brace
    text = "\n".join([json.dumps(GD, indent=2), broken, json.dumps(ASFF, indent=2)])
    result = normalize_text(text)
    assert [f.source for f in result.findings] == ["guardduty", "guardduty"]
    assert [f.raw_format for f in result.findings] == ["guardduty", "asff"]
    broken_start = len(json.dumps(GD, indent=2).splitlines()) + 1
    assert [(r.index, r.kind) for r in result.rejected] == [(2, "invalid")]
    assert f"(document starts at line {broken_start})" in result.rejected[0].reason


def test_json_lines_whose_first_line_is_broken_still_parses_the_rest():
    text = '{"id": "cut-off", \n' + json.dumps(GD) + "\n" + json.dumps(ASFF) + "\n"
    result = normalize_text(text)
    assert [f.raw_format for f in result.findings] == ["guardduty", "asff"]
    assert reasons(result) == ["document 1: invalid JSON at line 2, column 1 (document starts at line 1): "
                               "Expecting property name enclosed in double quotes"]


def test_array_elements_are_numbered_documents():
    result = normalize_text(json.dumps([GD, ASFF, {"foo": 1, "bar": 2}, 7]))
    assert len(result.findings) == 2
    assert reasons(result) == [
        "document 3: not a GuardDuty, Security Hub or CloudTrail document (keys: bar, foo)",
        "document 4: expected a JSON object, got number",
    ]
    assert [r.index for r in result.rejected] == [3, 4]
    assert result.rejected[0].kind == "unsupported"


def test_unknown_keys_list_is_truncated():
    result = normalize({f"k{i}": i for i in range(12)})
    assert reasons(result) == ["document 1: not a GuardDuty, Security Hub or CloudTrail document "
                               "(keys: k0, k1, k10, k11, k2, k3, k4, k5, ...)"]


@pytest.mark.parametrize("text, reason", [
    ("", "input: empty input: expected JSON"),
    ("  \n\t", "input: empty input: expected JSON"),
    (b"\xff\xfe{}", "input: not UTF-8 text (invalid start byte at byte 0)"),
    ("hello", "document 1: invalid JSON at line 1, column 1: Expecting value"),
    ("[" * 100_000, "document 1: invalid JSON: nested too deeply"),
    ("null", "document 1: expected a JSON object, got null"),
    ('"text"', "document 1: expected a JSON object, got string"),
])
def test_unusable_text_is_rejected(text, reason):
    result = normalize_text(text)
    assert result.findings == []
    assert reasons(result) == [reason]


def test_bytes_and_bom_and_str_via_normalize():
    assert len(normalize_text(("\ufeff" + json.dumps(GD)).encode("utf-8")).findings) == 1
    assert len(normalize(json.dumps(ASFF)).findings) == 1


@pytest.mark.parametrize("document, reason, kind", [
    ({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {"state": "x"}},
     "document 1: unsupported EventBridge event 'EC2 Instance State-change Notification' (source 'aws.ec2')",
     "unsupported"),
    ({"detail-type": "GuardDuty Finding", "source": "aws.guardduty", "detail": "x"},
     "document 1: EventBridge event 'GuardDuty Finding' without a detail object", "invalid"),
    ({"detail-type": "Security Hub Findings - Imported", "detail": {"actionName": "x"}},
     "document 1: EventBridge event 'Security Hub Findings - Imported' without detail.findings", "invalid"),
    ({"detail-type": "GuardDuty Finding", "detail": {"type": "Recon:EC2/Portscan", "severity": 2}},
     "document 1: GuardDuty finding without Id", "invalid"),
    ({"Type": "Notification", "MessageId": "m", "Message": "GuardDuty says hi"},
     "document 1: SNS notification whose body is not JSON", "invalid"),
    ({"Records": [{"eventSource": "aws:sqs", "body": "{not json"}]},
     "document 1 (Records[0]): SQS message whose body is not JSON", "invalid"),
    ({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {}}]},
     "document 1 (Records[0]): not a GuardDuty, Security Hub or CloudTrail document "
     "(keys: eventName, eventSource, eventVersion, s3)", "unsupported"),
    ({"Findings": [GD, "x"]}, "document 1 (Findings[1]): expected a JSON object, got string", "invalid"),
    ({"Records": [{"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                   "eventID": "e1"}]},
     "document 1 (Records[0]): CloudTrail event RunInstances matched no detection rule", "no_match"),
])
def test_rejection_reasons(document, reason, kind):
    result = normalize(document)
    assert [(r.reason, r.kind) for r in result.rejected] == [(reason, kind)]


def test_sns_wrapping_asff_event_and_lambda_sns_and_sqs_records():
    event = {"detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
             "detail": {"findings": [ASFF]}}
    notification = {"Type": "Notification", "Message": json.dumps(event)}
    assert [f.raw_format for f in normalize(notification).findings] == ["asff-event"]
    lambda_event = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(event)}}]}
    assert [f.raw_format for f in normalize(lambda_event).findings] == ["asff-event"]
    sqs_event = {"Records": [{"messageId": "1", "eventSource": "aws:sqs", "body": json.dumps(event)},
                             {"messageId": "2", "eventSource": "aws:sqs", "body": json.dumps([GD])}]}
    assert [f.raw_format for f in normalize(sqs_event).findings] == ["asff-event", "guardduty"]


def test_runaway_sns_nesting_is_rejected():
    document = GD
    for _ in range(10):
        document = {"Type": "Notification", "Message": json.dumps(document)}
    assert reasons(normalize(document)) == ["document 1: wrapped too deeply (SNS/EventBridge nesting)"]


def test_unexpected_parser_exception_becomes_a_rejection(monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(normalize_module, "parse_guardduty", explode)
    result = normalize_text(json.dumps([GD, ASFF]))
    assert [f.raw_format for f in result.findings] == ["asff"]
    assert reasons(result) == ["document 1: internal error while normalizing: KeyError: 'boom'"]


def test_broken_default_rules_only_affect_cloudtrail_documents(monkeypatch, tmp_path):
    monkeypatch.setattr(cloudtrail_rules, "DEFAULT_RULES_PATH", tmp_path / "missing.yaml")
    cloudtrail_rules.default_rules.cache_clear()
    try:
        result = normalize([GD, CT_EVENT])
    finally:
        cloudtrail_rules.default_rules.cache_clear()
    assert [f.source for f in result.findings] == ["guardduty"]
    [rejection] = result.rejected
    assert rejection.index == 2
    assert rejection.reason.startswith("document 2: CloudTrail detection rules unavailable: ")
    assert "missing.yaml" in rejection.reason


def test_deeply_nested_document_does_not_escape():
    deep = current = {}
    for _ in range(5000):
        current["x"] = {}
        current = current["x"]
    document = dict(GD, service={"action": deep})
    result = normalize(document)  # recursion limit inside a parser -> rejection or finding, never raise
    assert len(result.findings) + len(result.rejected) == 1


def test_partial_envelope_detail_format_follows_its_shape():
    asff = normalize({"region": "us-east-1", "detail": ASFF}).findings
    cloudtrail = normalize({"detail": CT_EVENT["detail"]}).findings
    assert [f.raw_format for f in asff + cloudtrail] == ["asff-event", "cloudtrail-event"]
    result = normalize({"detail": {"foo": 1}})
    assert [r.reason for r in result.rejected] == [
        "document 1: not a GuardDuty, Security Hub or CloudTrail document (keys: foo)"]
