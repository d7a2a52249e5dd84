"""The two role templates deploy (moto's CloudFormation and IAM) and create the roles they
promise: the shipped policy inline, extras only when their resource is named, and the
member role assumable by Firebreak's role ARN with the ExternalId. moto does not evaluate
trust policies on AssumeRole, so the trust document is checked as deployed."""

from __future__ import annotations

import ast
import json
import urllib.parse

import boto3

from tests.conftest import REPO

SHIPPED = REPO / "iam" / "firebreak-policy.json"
# What CloudFormation substitutes into the shipped policy's placeholders (the templates' defaults).
DEFAULTS = {"AWS::AccountId": "123456789012", "ForensicsAccountId": "000000000000",
            "LogArchiveBucket": "aws-cloudtrail-logs-*"}


def substituted(path, **values: str) -> dict:
    """iam/firebreak-policy.json with its ${…} placeholders filled in, as iam/README.md says."""
    text = path.read_text(encoding="utf-8")
    for name, value in {**DEFAULTS, **values}.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "a placeholder nobody fills in"
    return json.loads(text)


def deploy(name: str, template: str, **parameters: str) -> dict[str, str]:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName=name, TemplateBody=(REPO / "deploy" / template).read_text(encoding="utf-8"),
                     Capabilities=["CAPABILITY_NAMED_IAM"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def document(raw) -> dict:
    if isinstance(raw, dict):
        return raw
    text = urllib.parse.unquote(raw)
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # moto 5.2 keeps some CloudFormation-made policies as a Python repr
        return ast.literal_eval(text)


def test_firebreak_role_and_member_role_deploy_with_the_shipped_policy(moto_inprocess):
    iam = boto3.client("iam")
    shipped = substituted(SHIPPED)
    queue = "arn:aws:sqs:us-east-1:123456789012:firebreak-intake-findings"
    own = deploy("firebreak-role", "firebreak-role.yaml", IntakeQueueArn=queue, FindingsWriteBack="false")
    assert own["RoleArn"] == "arn:aws:iam::123456789012:role/Firebreak"
    names = iam.list_role_policies(RoleName="Firebreak")["PolicyNames"]
    assert sorted(names) == ["firebreak-containment", "firebreak-home", "firebreak-intake-queue",
                             "firebreak-member-accounts"]
    got = iam.get_role_policy(RoleName="Firebreak", PolicyName="firebreak-containment")["PolicyDocument"]
    assert document(got) == shipped
    home = iam.get_role_policy(RoleName="Firebreak", PolicyName="firebreak-home")["PolicyDocument"]
    assert document(home) == json.loads((REPO / "iam" / "firebreak-home-policy.json").read_text(encoding="utf-8"))
    intake = document(iam.get_role_policy(RoleName="Firebreak", PolicyName="firebreak-intake-queue")["PolicyDocument"])
    assert [s["Resource"] for s in intake["Statement"]] == [queue]
    trust = document(iam.get_role(RoleName="Firebreak")["Role"]["AssumeRolePolicyDocument"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ecs-tasks.amazonaws.com"}]

    external_id = "k3Jx9-firebreak-7Qp2wz"
    member = deploy("firebreak-member", "member-role.yaml", FirebreakRoleArn=own["RoleArn"], ExternalId=external_id)
    assert member["RoleArn"] == "arn:aws:iam::123456789012:role/FirebreakResponder"
    role = iam.get_role(RoleName="FirebreakResponder")["Role"]
    assert document(role["AssumeRolePolicyDocument"])["Statement"] == [{
        "Sid": "FirebreakWithExternalId", "Effect": "Allow", "Principal": {"AWS": own["RoleArn"]},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]
    assert iam.list_role_policies(RoleName="FirebreakResponder")["PolicyNames"] == ["firebreak-containment"]
    got = iam.get_role_policy(RoleName="FirebreakResponder", PolicyName="firebreak-containment")["PolicyDocument"]
    assert document(got) == shipped
