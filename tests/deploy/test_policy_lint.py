"""parliament over every IAM policy Firebreak ships, in iam/ and in deploy/'s templates
(identity policies of both roles, the extras, the intake queue's resource policy), as IAM
will get them: the JSON's placeholders and the templates' !Sub/!Ref filled in with example
values. Every finding must be one iam/README.md explains (its table "Findings we accept"),
and every explanation there must still match a finding, so the list cannot go stale. cfn-lint
runs over deploy/ in test_templates.py (every region, errors and warnings)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import parliament
import pytest
from cfnlint.decode import cfn_yaml

from tests.conftest import REPO

README = REPO / "iam" / "README.md"
EXAMPLES = {"AWS::AccountId": "123456789012", "AWS::Partition": "aws", "AWS::Region": "us-east-1",
            "ForensicsAccountId": "111122223333", "LogArchiveBucket": "org-log-archive",
            "IntakeQueueArn": "arn:aws:sqs:us-east-1:123456789012:firebreak-intake-findings",
            "IntakeDeadLetterQueueArn": "arn:aws:sqs:us-east-1:123456789012:firebreak-intake-dead-letters",
            "EscalationTopicArn": "arn:aws:sns:us-east-1:123456789012:firebreak-escalation",
            "PostmortemBucket": "firebreak-postmortems", "AuditAnchorBucket": "firebreak-audit-anchor",
            "FirebreakRoleArn": "arn:aws:iam::123456789012:role/Firebreak", "OrganizationId": "o-abcdefghij"}
NO_VALUE = object()


def _resolved(node, values: dict):
    """CloudFormation's intrinsics as a deployment with `values` would resolve them."""
    if isinstance(node, dict):
        if list(node) == ["Fn::Sub"]:
            return re.sub(r"\$\{([^}!]+)\}", lambda m: values[m.group(1)], node["Fn::Sub"])
        if list(node) == ["Ref"]:
            return NO_VALUE if node["Ref"] == "AWS::NoValue" else values[node["Ref"]]
        if list(node) == ["Fn::If"]:
            return _resolved(node["Fn::If"][1], values)  # the branch the template exists for
        if list(node) == ["Fn::GetAtt"]:
            name = node["Fn::GetAtt"][0]
            return (f"arn:aws:sqs:us-east-1:123456789012:{name}" if "Queue" in name
                    else f"arn:aws:events:us-east-1:123456789012:rule/{name}")
        out = {k: _resolved(v, values) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}
    if isinstance(node, list):
        return [_resolved(v, values) for v in node]
    return node


def shipped_policies():
    """(where, policy document) for every policy in iam/ and deploy/."""
    for path in sorted((REPO / "iam").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        for name, value in EXAMPLES.items():
            text = text.replace("${" + name + "}", value)
        yield f"iam/{path.name}", json.loads(text)
    for path in sorted((REPO / "deploy").glob("*.yaml")):
        tpl = json.loads(json.dumps(cfn_yaml.loads(path.read_text(encoding="utf-8"))))
        values = {**{k: str(p["Default"]) for k, p in tpl.get("Parameters", {}).items() if "Default" in p},
                  **EXAMPLES}
        for name, resource in tpl["Resources"].items():
            props = resource.get("Properties", {})
            for inline in props.get("Policies", []):
                yield f"deploy/{path.name} {name} {inline['PolicyName']}", _resolved(inline["PolicyDocument"], values)
            if "PolicyDocument" in props:
                yield f"deploy/{path.name} {name}", _resolved(props["PolicyDocument"], values)


def findings(policy: dict) -> set[tuple[str, str]]:
    """(issue, subject): the escalation's name, the actions, or the finding's own words."""
    parliament.override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    found = parliament.analyze_policy_string(json.dumps(policy), include_community_auditors=True).findings
    keys = set()
    for f in map(parliament.enhance_finding, found):
        details = f.detail if isinstance(f.detail, list) else [f.detail]
        actions = sorted({d["action"] for d in details if isinstance(d, dict) and "action" in d}
                         | set(f.location.get("actions", [])))
        text = str(f.detail).strip()
        escalation = re.search(r"escalation on (\S+) due to (\S+) not being allowed, but does allow (\S+)", text)
        subject = (f.location.get("type") or ", ".join(actions)
                   or (" ".join(escalation.groups()) if escalation else text) or "-")
        keys.add((f.issue, subject))
    return keys


def accepted() -> dict[tuple[str, str], str]:
    """iam/README.md's table: | `ISSUE` | `subject` | why |."""
    section = README.read_text(encoding="utf-8").split("## Findings we accept", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| `([^`]+)` \| (.+) \|$", section, re.M)
    return {(issue, subject): why for issue, subject, why in rows}


SHIPPED = list(shipped_policies())
pytestmark = pytest.mark.slow  # parliament takes about a second per policy


def test_every_policy_in_iam_and_deploy_is_analysed():
    where = [w for w, _ in SHIPPED]
    assert {"iam/firebreak-policy.json", "iam/firebreak-home-policy.json",
            "deploy/firebreak-role.yaml FirebreakRole firebreak-containment",
            "deploy/member-role.yaml ResponderRole firebreak-containment",
            "deploy/firebreak-role.yaml FindingsWriteBackPolicy",
            "deploy/intake.yaml FindingsQueuePolicy"} <= set(where)
    assert not [w for w, doc in SHIPPED if "${" in json.dumps(doc)], "a placeholder left unresolved"


@pytest.mark.parametrize("where, policy", SHIPPED, ids=[w for w, _ in SHIPPED])
def test_parliament_reports_nothing_iam_readme_does_not_explain(where, policy):
    explained = accepted()
    unexplained = sorted(k for k in findings(policy) if k not in explained)
    assert not unexplained, (f"{where}: parliament reports {unexplained}; fix the policy, or explain the finding "
                             "in iam/README.md's table 'Findings we accept'")


def test_every_explanation_in_iam_readme_still_matches_a_finding():
    seen = set().union(*(findings(policy) for _, policy in SHIPPED))
    stale = sorted(set(accepted()) - seen)
    assert not stale, f"iam/README.md explains findings parliament no longer reports: {stale}"


def test_the_check_would_catch_an_unexplained_escalation():
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PutUserPolicy"], "Resource": "*"}]}
    assert ("PRIVILEGE_ESCALATION", "PutUserPolicy") in findings(policy)
    assert ("PRIVILEGE_ESCALATION", "PutUserPolicy") not in accepted()
