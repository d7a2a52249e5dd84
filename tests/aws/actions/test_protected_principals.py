"""Firebreak refuses, at plan time, to quarantine, disable the keys of or take the
instance role of its own principal (also when it acts through an assumed role) and of the
principals in containment.protected_principals: it would cut itself off, or lock
responders out of their break-glass access. Against moto: the caller identity is real."""

import json

import boto3
import pytest

from aws.actions.protected import principal
from core.containment.config import AccountRole, ContainmentConfig
from core.containment.model import ActionFailed
from tests.aws.actions.conftest import Runner
from tests.support.containment import instance

ACCOUNT = "123456789012"
TRUST_ACCOUNT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                         "Action": "sts:AssumeRole"}]}
iam = lambda: boto3.client("iam")  # noqa: E731


def act_as_user(name, monkeypatch):
    """Firebreak's credentials are now an access key of IAM user `name`; returns that key."""
    iam().create_user(UserName=name)
    key = iam().create_access_key(UserName=name)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    return key["AccessKeyId"]


def act_as_role(name, monkeypatch, path="/"):
    """Firebreak's credentials are now a session of role `name` (as on ECS, EC2 or Lambda)."""
    arn = iam().create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))["Role"]["Arn"]
    creds = boto3.client("sts").assume_role(RoleArn=arn, RoleSessionName="firebreak-C3")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    return arn


def refused(runner, action, target):
    with pytest.raises(ActionFailed) as caught:
        runner.plan(runner.job(action, target))
    assert caught.value.code == "ProtectedPrincipal"
    return caught.value.message


def attached(kind, name):
    found = getattr(iam(), f"list_attached_{kind}_policies")(**{f"{kind.capitalize()}Name": name})
    return found["AttachedPolicies"]


def test_principal_names_from_arns():
    assert principal("arn:aws:iam::123456789012:user/ops/firebreak") == (ACCOUNT, "user", "firebreak")
    assert principal("arn:aws:iam::123456789012:role/svc/firebreak") == (ACCOUNT, "role", "firebreak")
    assert principal("arn:aws:sts::123456789012:assumed-role/firebreak/i-0abc") == (ACCOUNT, "role", "firebreak")
    assert principal("arn:aws-us-gov:iam::123456789012:role/x") == (ACCOUNT, "role", "x")
    assert principal("arn:aws:iam::123456789012:root") is None


def test_firebreak_will_not_quarantine_its_own_user_or_disable_its_own_key(moto_inprocess, monkeypatch):
    key = act_as_user("ir-bot", monkeypatch)
    runner = Runner()
    message = refused(runner, "quarantine-user", "ir-bot")
    assert "Refusing to quarantine IAM user ir-bot in account 123456789012" in message
    assert "Firebreak's own principal (arn:aws:iam::123456789012:user/ir-bot)" in message
    assert "disable access key" in refused(runner, "disable-access-key", key)
    with pytest.raises(ActionFailed, match="own principal"):  # also at apply, should the plan be old
        runner.catalog.apply(runner.job("quarantine-user", "IR-BOT"), runner.calls.append)
    assert attached("user", "ir-bot") == []
    assert iam().list_access_keys(UserName="ir-bot")["AccessKeyMetadata"][0]["Status"] == "Active"


def test_firebreak_will_not_quarantine_the_role_behind_its_assumed_role_session(moto_inprocess, monkeypatch):
    act_as_role("incident-responder", monkeypatch, path="/security/")
    runner = Runner()
    message = refused(runner, "quarantine-role", "incident-responder")
    assert "Refusing to quarantine IAM role incident-responder" in message
    assert "arn:aws:sts::123456789012:assumed-role/incident-responder/firebreak-C3" in message
    assert attached("role", "incident-responder") == []
    iam().create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    runner.plan(runner.job("quarantine-role", "app"))  # any other role is fine


def test_configured_break_glass_principals_are_refused_by_arn_or_name(moto_inprocess):
    for name in ("BreakGlass", "other-account-admin"):
        iam().create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    iam().create_user(UserName="oncall-admin")
    runner = Runner(ContainmentConfig(protected_principals=[
        "arn:aws:iam::123456789012:role/emergency/BreakGlass", "oncall-admin",
        "arn:aws:iam::999999999999:role/other-account-admin"]))
    message = refused(runner, "quarantine-role", "BreakGlass")
    assert "containment.protected_principals (arn:aws:iam::123456789012:role/emergency/BreakGlass)" in message
    assert "break-glass" in message
    assert "protected_principals (oncall-admin)" in refused(runner, "quarantine-user", "oncall-admin")
    key = iam().create_access_key(UserName="oncall-admin")["AccessKey"]["AccessKeyId"]
    refused(runner, "disable-access-key", key)
    # An ARN names one account: the same name elsewhere is not protected by it.
    runner.plan(runner.job("quarantine-role", "other-account-admin"))
    assert attached("role", "BreakGlass") == [] and attached("user", "oncall-admin") == []


def test_the_roles_firebreak_assumes_in_other_accounts_are_refused(moto_inprocess):
    iam().create_role(RoleName="FirebreakResponder", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    runner = Runner(ContainmentConfig(accounts={ACCOUNT: AccountRole(
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/FirebreakResponder", external_id="fb-test-external-id")}))
    assert "containment.accounts" in refused(runner, "quarantine-role", "FirebreakResponder")


@pytest.mark.slow
def test_firebreak_will_not_take_the_instance_role_of_its_own_host(moto_inprocess, monkeypatch):
    instance_id, _, _, _ = instance()
    iam().create_role(RoleName="firebreak-host", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    profile = iam().create_instance_profile(InstanceProfileName="firebreak-host")["InstanceProfile"]["Arn"]
    iam().add_role_to_instance_profile(InstanceProfileName="firebreak-host", RoleName="firebreak-host")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ec2.associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Arn": profile})
    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/firebreak-host",
                                            RoleSessionName=instance_id)["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    message = refused(Runner(), "revoke-instance-role", instance_id)
    assert f"take instance profile firebreak-host off {instance_id}, which holds IAM role firebreak-host" in message
    associations = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}])["IamInstanceProfileAssociations"]
    assert [a["State"] for a in associations] == ["associated"]
