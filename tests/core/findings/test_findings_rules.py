"""Detection rules: the shipped YAML, validation errors that name the culprit, matcher semantics."""
import pytest
import yaml

from core.findings.cloudtrail_rules import (
    DEFAULT_RULES_PATH, RuleError, acl_is_public, default_rules, first_match, load_rules, load_rules_file,
    policy_is_public,
)
from core.findings.model import SEVERITIES

VALID = {"name": "r", "title": "T", "severity": "low", "event_name": "X"}


def rule(**changes):
    data = dict(VALID, **changes)
    return load_rules([{k: v for k, v in data.items() if v is not None}], "test")[0]


def test_shipped_rules_load_and_cover_the_required_detections():
    rules = default_rules()
    names = [r.name for r in rules]
    for required in ("cloudtrail-stop-logging", "cloudtrail-delete-trail", "cloudtrail-trail-weakened",
                     "root-console-login", "console-login-failure", "root-create-access-key",
                     "s3-bucket-policy-public", "s3-bucket-acl-public", "securityhub-disabled",
                     "guardduty-detector-deleted"):
        assert required in names
    assert all(r.severity in SEVERITIES for r in rules)
    assert names[-1] == "root-api-activity"  # catch-all must stay last
    assert DEFAULT_RULES_PATH.parts[-2:] == ("config", "cloudtrail-rules.yaml")


@pytest.mark.parametrize("record, expected", [
    ({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"}, "cloudtrail-stop-logging"),
    ({"eventSource": "cloudtrail.amazonaws.com", "eventName": "UpdateTrail",
      "requestParameters": {"name": "t", "isMultiRegionTrail": False}}, "cloudtrail-trail-weakened"),
    ({"eventSource": "cloudtrail.amazonaws.com", "eventName": "UpdateTrail",
      "requestParameters": {"name": "t", "s3BucketName": "b"}}, None),
    ({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "userIdentity": {"type": "IAMUser"},
      "responseElements": {"ConsoleLogin": "Failure"}}, "console-login-failure"),
    ({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "userIdentity": {"type": "IAMUser"},
      "responseElements": {"ConsoleLogin": "Success"}}, None),
    # YAML would read an unquoted No as false; the shipped rule must compare with the string "No".
    ({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "userIdentity": {"type": "Root"},
      "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"}},
     "root-console-login-without-mfa"),
    ({"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector",
      "requestParameters": {"detectorId": "d", "enable": False}}, "guardduty-detector-suspended"),
    ({"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector",
      "requestParameters": {"detectorId": "d", "enable": True}}, None),
    ({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketAcl",
      "requestParameters": {"bucketName": "b", "x-amz-acl": ["private"]}}, None),
    ({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketAcl",
      "requestParameters": {"bucketName": "b", "x-amz-acl": ["public-read"]}}, "s3-bucket-acl-public"),
    ({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "eventType": "AwsApiCall",
      "userIdentity": {"type": "Root"}}, "root-api-activity"),
    ({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "eventType": "AwsApiCall",
      "userIdentity": {"type": "Root", "invokedBy": "support.amazonaws.com"}}, None),
])
def test_shipped_rule_selection(record, expected):
    matched = first_match(default_rules(), record)
    assert (matched.name if matched else None) == expected


@pytest.mark.parametrize("data, message", [
    ({"rules": "nope"}, "test: expected a list of rules"),
    (["x"], "test: rules[0]: must be a mapping, got str"),
    ([dict(VALID, sevrity="low")], "test: rules[0] (r): unknown key 'sevrity'"),
    ([VALID, dict(VALID, name="b", severity="urgent")], "test: rules[1] (b): 'severity' must be one of"),
    ([{"title": "T", "severity": "low", "event_name": "X"}], "test: rules[0]: 'name' is required"),
    ([dict(VALID, title="")], "test: rules[0] (r): 'title' is required"),
    ([{"name": "r", "title": "T", "severity": "low"}], "rules[0] (r): needs 'event_source' and/or 'event_name'"),
    ([dict(VALID, event_name=[])], "rules[0] (r): 'event_name' must be a non-empty string or list"),
    ([dict(VALID, event_source=["s3.amazonaws.com", 3])], "'event_source' must be a non-empty string"),
    ([dict(VALID, conditions={"field": "a"})], "rules[0] (r): 'conditions' must be a list"),
    ([dict(VALID, conditions=["a"])], "rules[0] (r) conditions[0]: each condition must be a mapping"),
    ([dict(VALID, conditions=[{"field": "a", "equal": 1}])], "conditions[0]: unknown condition key 'equal'"),
    ([dict(VALID, conditions=[{"equals": 1}])], "conditions[0]: condition needs 'field'"),
    ([dict(VALID, conditions=[{"field": "a"}])], "condition on 'a' needs exactly one of"),
    ([dict(VALID, conditions=[{"field": "a", "equals": 1, "exists": True}])], "needs exactly one of"),
    ([dict(VALID, conditions=[{"field": "a", "in": "x"}])], "'in' on 'a' must be a list"),
    ([dict(VALID, conditions=[{"field": "a", "exists": "yes"}])], "'exists' on 'a' must be true or false"),
    ([dict(VALID, conditions=[{"any": []}])], "conditions[0]: 'any' must be a non-empty list"),
    ([dict(VALID, conditions=[{"any": [{"field": "a", "bogus": 1}]}])],
     "conditions[0] any[0]: unknown condition key 'bogus'"),
    ([dict(VALID, enabled="no")], "'enabled' must be true or false"),
    ([VALID, VALID], "test: duplicate rule name 'r'"),
])
def test_invalid_rules_name_rule_and_key(data, message):
    with pytest.raises(RuleError) as caught:
        load_rules(data, "test")
    assert message in str(caught.value)


def test_bad_yaml_file_error_names_the_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: x\n    title: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuleError, match="rules.yaml: cannot read rules"):
        load_rules_file(path)
    path.write_text(yaml.safe_dump({"rules": [dict(VALID, severity="HIGH")]}), encoding="utf-8")
    with pytest.raises(RuleError, match=r"rules\.yaml: rules\[0\] \(r\): 'severity' must be one of"):
        load_rules_file(path)
    with pytest.raises(RuleError, match="cannot read rules"):
        load_rules_file(tmp_path / "missing.yaml")


def test_disabled_rule_is_skipped_and_first_match_wins():
    rules = load_rules([
        dict(VALID, name="off", enabled=False),
        dict(VALID, name="first", event_name="X*"),
        dict(VALID, name="second"),
    ], "test")
    assert [r.name for r in rules] == ["first", "second"]
    assert first_match(rules, {"eventSource": "a", "eventName": "X"}).name == "first"
    assert first_match(rules, {"eventSource": "a", "eventName": "x"}) is None  # case-sensitive


def test_lists_fan_out_along_the_path():
    matcher = rule(conditions=[{"field": "p.items.cidr", "equals": "0.0.0.0/0"}])
    assert matcher.matches({"eventName": "X", "p": {"items": [{"cidr": "10.0.0.0/8"}, {"cidr": "0.0.0.0/0"}]}})
    assert not matcher.matches({"eventName": "X", "p": {"items": [{"cidr": "10.0.0.0/8"}]}})
    assert not matcher.matches({"eventName": "X", "p": None})


def test_condition_operators():
    record = {"eventName": "X", "a": {"flag": False, "zero": 0, "text": "aws-cli/2.0", "tags": ["x", "y"]}}
    assert rule(conditions=[{"field": "a.flag", "equals": False}]).matches(record)
    assert not rule(conditions=[{"field": "a.zero", "equals": False}]).matches(record)  # 0 is not false
    assert rule(conditions=[{"field": "a.tags", "equals": "y"}]).matches(record)
    assert rule(conditions=[{"field": "a.text", "in": ["curl", "aws-cli/2.0"]}]).matches(record)
    assert rule(conditions=[{"field": "a.text", "contains": "cli/"}]).matches(record)
    assert not rule(conditions=[{"field": "a.text", "contains": "boto"}]).matches(record)
    assert rule(conditions=[{"field": "a.missing", "exists": False}]).matches(record)
    assert not rule(conditions=[{"field": "a.flag", "exists": False}]).matches(record)
    assert rule(conditions=[{"any": [{"field": "a.zero", "equals": 1}, {"field": "a.zero", "equals": 0}]}]
                ).matches(record)


@pytest.mark.parametrize("policy, public", [
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}, True),
    ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}}]}, True),
    ({"Statement": {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}}}, True),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*"}]}', True),
    ({"Statement": [{"Effect": "Allow", "Principal": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}, True),
    ({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}, False),
    ({"Statement": [{"Effect": "Allow", "Principal": "*",
                     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]}, False),
    ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}]}, False),
    ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}}]}, False),
    ("not json", False),
    (None, False),
])
def test_policy_is_public(policy, public):
    assert policy_is_public(policy) is public


@pytest.mark.parametrize("params, public", [
    ({"AccessControlPolicy": {"AccessControlList": {"Grant": {
        "Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}}}}}, True),
    ({"x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'}, True),
    ({"x-amz-acl": ["public-read-write"]}, True),
    ({"x-amz-acl": ["bucket-owner-full-control"], "AccessControlPolicy": {"AccessControlList": {"Grant": [
        {"Grantee": {"ID": "abc"}, "Permission": "FULL_CONTROL"}]}}}, False),
])
def test_acl_is_public(params, public):
    assert acl_is_public(params) is public
