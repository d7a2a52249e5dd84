"""The CloudFormation templates under deploy/, read as CloudFormation reads them: cfn-lint
passes in every region, the roles carry exactly iam/firebreak-policy.json, the member role
is locked to Firebreak's role and an ExternalId, and the intake's rules forward exactly the
CloudTrail events config/cloudtrail-rules.yaml watches and nothing but EventBridge (from
those rules) may write to the queue."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml
from cfnlint import api as cfnlint_api
from cfnlint.config import ManualArgs
from cfnlint.decode import cfn_yaml
from moto.events.models import EventPattern

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
TEMPLATES = sorted(DEPLOY.glob("*.yaml"))
SHIPPED_POLICY = REPO / "iam" / "firebreak-policy.json"
HOME_POLICY = REPO / "iam" / "firebreak-home-policy.json"  # Firebreak's own role only
RULES_FILE = REPO / "config" / "cloudtrail-rules.yaml"


def template(name: str) -> dict:
    """Intrinsics come back in their long form: {"Ref": ...}, {"Fn::GetAtt": [...]}."""
    return cfn_yaml.loads((DEPLOY / name).read_text(encoding="utf-8"))


def resources(tpl: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in tpl["Resources"].items() if r["Type"] == kind}


# ------------------------------------------------------------------------------ cfn-lint
def test_the_expected_templates_are_there():
    assert {p.name for p in TEMPLATES} >= {"intake.yaml", "firebreak-role.yaml", "member-role.yaml"}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_finds_no_errors_or_warnings_in_any_region(path):
    # Intake is deployed in every region you take findings from and the member role by
    # StackSets into any region, so a resource type missing in one region is an error here.
    matches = cfnlint_api.lint_file(path, ManualArgs(regions=["ALL_REGIONS"]))
    problems = [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if m.rule.id[0] in "EW"]
    assert not problems, "\n".join(problems)


def test_cfn_lint_would_catch_a_broken_template(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text((DEPLOY / "intake.yaml").read_text().replace("Type: AWS::SQS::QueuePolicy",
                                                                   "Type: AWS::SQS::QueuePolcy"))
    assert any(m.rule.id.startswith("E") for m in cfnlint_api.lint_file(broken, ManualArgs(regions=["us-east-1"])))


# ------------------------------------------------------------------------------ IAM roles
def _inline(role: dict, name: str) -> dict:
    [policy] = [p for p in role["Properties"]["Policies"] if p["PolicyName"] == name]
    return policy["PolicyDocument"]


def _plain(node):
    """cfn-lint's node classes -> plain dicts and lists, for equality with json.load."""
    return json.loads(json.dumps(node))


def _unsubstituted(node):
    """A template's `!Sub "…${AWS::AccountId}…"` as iam/firebreak-policy.json writes it: the
    same text, to be substituted by whoever attaches the JSON (iam/README.md)."""
    if isinstance(node, dict):
        if list(node) == ["Fn::Sub"] and isinstance(node["Fn::Sub"], str):
            return node["Fn::Sub"]
        return {k: _unsubstituted(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_unsubstituted(v) for v in node]
    return node


@pytest.mark.parametrize("name, logical_id", [("firebreak-role.yaml", "FirebreakRole"),
                                              ("member-role.yaml", "ResponderRole")])
def test_roles_carry_exactly_the_shipped_policy(name, logical_id):
    shipped = json.loads(SHIPPED_POLICY.read_text(encoding="utf-8"))  # read now: the file may change
    role = template(name)["Resources"][logical_id]
    assert _unsubstituted(_plain(_inline(role, "firebreak-containment"))) == shipped, (
        f"deploy/{name} has drifted from iam/firebreak-policy.json: copy the file's statements "
        "into the firebreak-containment policy")


def test_only_firebreaks_own_role_may_open_cases_and_email_stakeholders():
    """Communications (SNS email, AWS Support, Security Incident Response) run at home: the
    role in every member account must not carry them."""
    home = json.loads(HOME_POLICY.read_text(encoding="utf-8"))
    own = template("firebreak-role.yaml")["Resources"]["FirebreakRole"]
    assert _plain(_inline(own, "firebreak-home")) == home, (
        "deploy/firebreak-role.yaml has drifted from iam/firebreak-home-policy.json")
    member = template("member-role.yaml")["Resources"]["ResponderRole"]
    granted = {a for s in _statements({"Resources": {"R": member}}) if s["Effect"] == "Allow"
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"sns:Publish", "support:CreateCase", "security-ir:CreateCase"}.isdisjoint(granted)


def _statements(tpl: dict):
    for res in tpl["Resources"].values():
        props = res.get("Properties", {})
        docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
        docs += [props["PolicyDocument"]] if "PolicyDocument" in props else []
        for doc in docs:
            yield from doc["Statement"]


@pytest.mark.parametrize("name", ["firebreak-role.yaml", "member-role.yaml"])
def test_roles_grant_no_wildcard_actions(name):
    """Wildcards may only widen what is denied (Firebreak's guard on its own principal)."""
    for statement in _statements(template(name)):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert statement["Effect"] in ("Allow", "Deny")
        if statement["Effect"] == "Allow":
            assert not [a for a in actions if "*" in a], statement


def test_member_role_trusts_only_firebreaks_role_with_the_external_id():
    tpl = template("member-role.yaml")
    external = tpl["Parameters"]["ExternalId"]
    assert external["NoEcho"] is True and "Default" not in external  # required, never shown
    assert external["MinLength"] >= 16
    assert "Default" not in tpl["Parameters"]["FirebreakRoleArn"]
    [role] = resources(tpl, "AWS::IAM::Role").values()
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert _plain(trust) == {
        "Sid": "FirebreakWithExternalId", "Effect": "Allow",
        "Principal": {"AWS": {"Ref": "FirebreakRoleArn"}},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
    }
    assert [p["PolicyName"] for p in role["Properties"]["Policies"]] == ["firebreak-containment"]
    assert set(tpl["Resources"]) == {"ResponderRole"}  # nothing else is granted in member accounts


def test_firebreaks_role_is_for_a_service_and_extras_exist_only_when_asked_for():
    tpl = template("firebreak-role.yaml")
    role = tpl["Resources"]["FirebreakRole"]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert _plain(trust["Principal"]) == {"Service": {"Ref": "TrustedService"}}
    assert set(tpl["Parameters"]["TrustedService"]["AllowedValues"]) == {"ecs-tasks.amazonaws.com",
                                                                       "ec2.amazonaws.com"}
    assert [p["PolicyName"] for p in role["Properties"]["Policies"]] == ["firebreak-home", "firebreak-containment"]
    extras = resources(tpl, "AWS::IAM::Policy")
    assert extras and all("Condition" in p for p in extras.values()), "an extra policy is unconditional"
    queue = tpl["Resources"]["IntakeQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert _plain(queue[0]["Resource"]) == {"Ref": "IntakeQueueArn"}


# ------------------------------------------------------------------------------ intake
def test_intake_queue_is_encrypted_with_a_dead_letter_queue():
    tpl = template("intake.yaml")
    queues = resources(tpl, "AWS::SQS::Queue")
    assert set(queues) == {"FindingsQueue", "FindingsDeadLetterQueue"}
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    redrive = queues["FindingsQueue"]["Properties"]["RedrivePolicy"]
    assert _plain(redrive["deadLetterTargetArn"]) == {"Fn::GetAtt": ["FindingsDeadLetterQueue", "Arn"]}
    assert {"QueueUrl", "QueueArn"} <= set(tpl["Outputs"])
    assert _plain(tpl["Outputs"]["QueueUrl"]["Value"]) == {"Ref": "FindingsQueue"}


def test_every_rule_targets_the_queue_and_only_those_rules_may_send_to_it():
    tpl = template("intake.yaml")
    rules = resources(tpl, "AWS::Events::Rule")
    assert set(rules) == {"GuardDutyFindingsRule", "SecurityHubImportedRule", "SecurityHubCustomActionRule",
                          "CloudTrailRule", "SecurityHubV2Rule", "InspectorFindingsRule", "MacieFindingsRule",
                          "SecurityIncidentResponseCaseRule"}
    for rule in rules.values():
        assert [_plain(t["Arn"]) for t in rule["Properties"]["Targets"]] == [
            {"Fn::GetAtt": ["FindingsQueue", "Arn"]}]
        assert rule["Properties"]["State"] == "ENABLED"
    [policy] = resources(tpl, "AWS::SQS::QueuePolicy").values()
    assert _plain(policy["Properties"]["Queues"]) == [{"Ref": "FindingsQueue"}]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1, "only one Allow: EventBridge from Firebreak's rules"
    [allow] = allows
    assert _plain(allow["Principal"]) == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert _plain(allow["Resource"]) == {"Fn::GetAtt": ["FindingsQueue", "Arn"]}
    assert list(allow["Condition"]) == ["ArnEquals"]
    sources = _plain(allow["Condition"]["ArnEquals"]["aws:SourceArn"])
    assert sorted(s["Fn::GetAtt"][0] for s in sources) == sorted(rules)
    assert all(s["Fn::GetAtt"][1] == "Arn" for s in sources)
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert all(_plain(s["Condition"]) == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_security_hub_rule_leaves_guardduty_to_the_guardduty_rule_unless_told_otherwise():
    tpl = template("intake.yaml")
    rules = tpl["Resources"]
    assert _plain(rules["GuardDutyFindingsRule"]["Properties"]["EventPattern"]) == {
        "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}
    imported = rules["SecurityHubImportedRule"]["Properties"]["EventPattern"]
    assert imported["detail-type"] == ["Security Hub Findings - Imported"]
    # EventBridge matches a field inside an array of objects if any element matches
    # (moto's matcher cannot, so this one is checked by shape).
    assert _plain(imported["detail"]) == {"Fn::If": [
        "SkipGuardDutyInSecurityHub",
        {"findings": {"ProductName": [{"anything-but": "GuardDuty"}]}},
        {"Ref": "AWS::NoValue"}]}
    assert tpl["Parameters"]["SecurityHubSkipsGuardDuty"]["Default"] == "true"
    custom = rules["SecurityHubCustomActionRule"]["Properties"]["EventPattern"]
    assert custom["detail-type"] == ["Security Hub Findings - Custom Action"]
    assert _plain(custom["resources"]) == [{"Fn::Sub": "arn:${AWS::Partition}:securityhub:${AWS::Region}:"
                                                        "${AWS::AccountId}:action/custom/${CustomActionId}"}]


def _cloudtrail_pattern() -> EventPattern:
    pattern = template("intake.yaml")["Resources"]["CloudTrailRule"]["Properties"]["EventPattern"]
    return EventPattern.load(json.dumps(_plain(pattern)))


def _set(record: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        record = record.setdefault(key, {})
    record[leaf] = value


def _satisfy(record: dict, condition: dict) -> None:
    """Give the record what a rule condition asks of it, as far as an EventBridge pattern can see."""
    if "any" in condition:
        return _satisfy(record, condition["any"][0])
    field = condition["field"]
    if "equals" in condition:
        _set(record, field, condition["equals"])
    elif "in" in condition:
        _set(record, field, condition["in"][0])
    elif condition.get("exists") is True:
        _set(record, field, "present")
    elif "contains" in condition:
        _set(record, field, f"...{condition['contains']}...")
    # exists: false leaves the field out; public_policy / public_acl are checked by Firebreak


def _concrete(glob: str, stand_in: str) -> str:
    return stand_in if glob == "*" else glob.replace("*", "Example").replace("?", "X")


def _events_the_rules_watch():
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        if rule.get("enabled", True) is False:
            continue
        sources = rule.get("event_source", "*")
        names = rule.get("event_name", "*")
        for source in sources if isinstance(sources, list) else [sources]:
            for name in names if isinstance(names, list) else [names]:
                detail = {"eventSource": _concrete(source, "example.amazonaws.com"),
                          "eventName": _concrete(name, "ExampleCall"), "eventType": "AwsApiCall",
                          "userIdentity": {"type": "IAMUser"}}
                for condition in rule.get("conditions", []):
                    _satisfy(detail, condition)
                kind = ("AWS Console Sign In via CloudTrail" if detail["eventName"] == "ConsoleLogin"
                        else "AWS API Call via CloudTrail")
                if kind.startswith("AWS Console"):
                    detail["eventType"] = "AwsConsoleSignIn"
                yield f"{rule['name']}:{detail['eventSource']}:{detail['eventName']}", {
                    "detail-type": kind, "source": "aws." + detail["eventSource"].split(".")[0],
                    "account": "123456789012", "region": "us-east-1", "detail": detail}


WATCHED = list(_events_the_rules_watch())


@pytest.mark.parametrize("event", [e for _, e in WATCHED], ids=[i for i, _ in WATCHED])
def test_the_cloudtrail_rule_forwards_every_event_a_detection_rule_watches(event):
    assert _cloudtrail_pattern().matches_event(event), (
        "deploy/intake.yaml's CloudTrailRule does not forward this event; add its eventSource/eventName")


def test_the_cloudtrail_rule_forwards_nothing_no_detection_rule_watches():
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["rules"]
    explicit = [r for r in rules if r.get("enabled", True) and (r.get("event_source", "*"), r.get("event_name", "*"))
                != ("*", "*")]

    def watched(source, name):
        listify = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
        return any(any(fnmatchcase(source, s) for s in listify(r.get("event_source", "*")))
                   and any(fnmatchcase(name, n) for n in listify(r.get("event_name", "*"))) for r in explicit)

    pattern = template("intake.yaml")["Resources"]["CloudTrailRule"]["Properties"]["EventPattern"]
    stale = [(s, n) for branch in pattern["detail"]["$or"] if "eventSource" in branch
             for s in branch["eventSource"] for n in branch["eventName"] if not watched(s, n)]
    assert not stale, f"forwarded but no detection rule watches them: {stale}"
    matcher = _cloudtrail_pattern()
    quiet = {"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "eventType": "AwsApiCall",
             "userIdentity": {"type": "IAMUser"}}
    assert not matcher.matches_event({"detail-type": "AWS API Call via CloudTrail", "detail": quiet})
    by_service = {**quiet, "userIdentity": {"type": "Root", "invokedBy": "support.amazonaws.com"}}
    assert not matcher.matches_event({"detail-type": "AWS API Call via CloudTrail", "detail": by_service})
    by_root = {**quiet, "userIdentity": {"type": "Root"}}
    assert matcher.matches_event({"detail-type": "AWS API Call via CloudTrail", "detail": by_root})


def test_write_back_is_scoped_to_this_accounts_hub_and_guardduty_only_where_aws_allows_no_resource():
    """Issue 22, item 18: write-back was allowed on "*". Security Hub's calls take the hub's
    ARN; GuardDuty's archive and feedback calls have no resource type in the service
    authorization reference (parliament's copy of it says the same, checked here), so "*"
    is the only resource that works for them and the statement holds nothing else."""
    import parliament

    statements = {s["Sid"]: _plain(s) for s in template("firebreak-role.yaml")["Resources"][
        "FindingsWriteBackPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {"SecurityHubPollAndWorkflowOnThisAccountsHub",
                               "GuardDutyFeedbackWithoutResourceLevelPermissions"}
    hub = statements["SecurityHubPollAndWorkflowOnThisAccountsHub"]
    assert hub["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default"}
    guardduty = statements["GuardDutyFeedbackWithoutResourceLevelPermissions"]
    assert guardduty["Resource"] == "*"
    definitions = json.loads((Path(parliament.__file__).parent / "iam_definition.json").read_text())
    [service] = [s for s in definitions if s["prefix"] == "guardduty"]
    types = {p["privilege"]: {r["resource_type"] for r in p["resource_types"]} for p in service["privileges"]}
    for action in guardduty["Action"]:
        assert types[action.split(":")[1]] == {""}, f"{action} has a resource type now: scope it"
    assert types["UpdateDetector"] == {"detector*"}, "the data does know detectors"
