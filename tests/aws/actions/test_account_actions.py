"""Access keys, IAM users and roles, S3, Lambda and block-ip against moto: the state
before, after and after undo, as AWS itself reports it."""

import io
import json
import zipfile

import boto3
import pytest

from aws.errors import AwsActionError
from core.containment.config import BlockIp, ContainmentConfig, WafIpSet
from core.errors import UsageError
from tests.aws.actions.conftest import Runner
from tests.support.containment import instance

iam = lambda: boto3.client("iam")  # noqa: E731 - short helpers for the assertions


def test_disable_access_key_and_undo(runner):
    iam().create_user(UserName="deploy")
    key = iam().create_access_key(UserName="deploy")["AccessKey"]["AccessKeyId"]
    status = lambda: iam().list_access_keys(UserName="deploy")["AccessKeyMetadata"][0]["Status"]  # noqa: E731
    job = runner.job("disable-access-key", key)
    plan = runner.plan(job)
    assert plan.current == [f"Access key {key} of IAM user deploy: Active"] and plan.facts["user"] == "deploy"
    outcome = runner.apply(job)
    assert status() == "Inactive"
    runner.undo(job, outcome)
    assert status() == "Active"


def test_unknown_access_key_names_the_aws_error(runner):
    with pytest.raises(AwsActionError) as caught:
        runner.plan(runner.job("disable-access-key", "AKIAIOSFODNN7EXAMPLE"))
    assert caught.value.code == "NoSuchEntity" and "(request id" in caught.value.message


DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll"
TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}


def attached(kind, name):
    found = getattr(iam(), f"list_attached_{kind}_policies")(**{f"{kind.capitalize()}Name": name})
    return [p["PolicyArn"] for p in found["AttachedPolicies"]]


def test_quarantine_user_attaches_aws_deny_all_and_undo_detaches_it(runner):
    iam().create_user(UserName="intern")
    job = runner.job("quarantine-user", "intern")
    plan = runner.plan(job)
    assert "not AWSDenyAll" in plan.current[0] and "Attach the AWS managed policy AWSDenyAll" in plan.changes[0]
    outcome = runner.apply(job)
    assert attached("user", "intern") == [DENY_ALL]
    assert iam().list_user_policies(UserName="intern")["PolicyNames"] == [], "no inline policy is written"
    assert outcome.checks == [("AWSDenyAll attached", True)]
    runner.undo(job, outcome)
    assert attached("user", "intern") == []


def test_quarantine_role_attaches_aws_deny_all_and_undo_warns_about_older_sessions(runner):
    iam().create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST_EC2), MaxSessionDuration=7200)
    job = runner.job("quarantine-role", "app")
    assert "Sessions already issued (up to 2 h old) are cut while it is attached" in runner.plan(job).changes
    outcome = runner.apply(job)
    assert attached("role", "app") == [DENY_ALL] and outcome.memory["max_session_seconds"] == 7200
    assert iam().list_role_policies(RoleName="app")["PolicyNames"] == []
    plan, _ = runner.undo(job, outcome)
    assert plan.changes[0] == "Detach AWSDenyAll"
    assert "work again until they expire" in plan.changes[1] and "Revoke active sessions" in plan.changes[1]
    assert attached("role", "app") == []


def test_quarantine_keeps_a_deny_all_that_was_there_before(runner):
    iam().create_user(UserName="intern")
    iam().attach_user_policy(UserName="intern", PolicyArn=DENY_ALL)
    job = runner.job("quarantine-user", "intern")
    assert runner.plan(job).changes == ["Nothing: AWSDenyAll is already attached"]
    outcome = runner.apply(job)
    plan, undone = runner.undo(job, outcome)
    assert plan.changes == ["Nothing: AWSDenyAll was attached before Firebreak's quarantine; it stays"]
    assert attached("user", "intern") == [DENY_ALL] and undone.verified


def test_quarantine_of_an_unknown_principal_names_the_aws_error(runner):
    with pytest.raises(AwsActionError) as caught:
        runner.plan(runner.job("quarantine-role", "nobody"))
    assert caught.value.code == "NoSuchEntity"


def test_block_public_s3_remembers_the_prior_setting(runner):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="exposed-data")
    prior = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
             "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket="exposed-data", PublicAccessBlockConfiguration=prior)
    job = runner.job("block-public-s3", "exposed-data")
    assert runner.plan(job).current == ["Bucket exposed-data: on: BlockPublicAcls"]
    outcome = runner.apply(job)
    setting = s3.get_public_access_block(Bucket="exposed-data")["PublicAccessBlockConfiguration"]
    assert all(setting.values())
    runner.undo(job, outcome)
    assert s3.get_public_access_block(Bucket="exposed-data")["PublicAccessBlockConfiguration"] == prior


def test_unknown_bucket(runner):
    with pytest.raises(AwsActionError) as caught:
        runner.plan(runner.job("block-public-s3", "no-such-bucket"))
    assert caught.value.code == "NoSuchBucket"


def lambda_function(name="exfil"):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam().create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    boto3.client("lambda", region_name="us-east-1").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler", Code={"ZipFile": code.getvalue()})


def test_disable_lambda_and_undo(runner):
    lambda_function()
    client = boto3.client("lambda", region_name="us-east-1")
    client.put_function_concurrency(FunctionName="exfil", ReservedConcurrentExecutions=5)
    job = runner.job("disable-lambda", "exfil")
    assert runner.plan(job).current == ["Function exfil: reserved concurrency 5"]
    outcome = runner.apply(job)
    assert client.get_function_concurrency(FunctionName="exfil")["ReservedConcurrentExecutions"] == 0
    runner.undo(job, outcome)
    assert client.get_function_concurrency(FunctionName="exfil")["ReservedConcurrentExecutions"] == 5


def nacl_entries(subnet, cidr):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
    return sorted((e["RuleNumber"], e["Egress"]) for e in acl["Entries"]
                  if e.get("CidrBlock") == cidr and e["RuleAction"] == "deny")


@pytest.mark.slow
def test_block_ip_in_nacls_with_managed_rule_numbers_and_undo(runner):
    _, vpc, subnet, _ = instance()
    ec2 = boto3.client("ec2", region_name="us-east-1")
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
    ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=1, Protocol="-1", RuleAction="allow",
                                 Egress=False, CidrBlock="10.9.0.0/16")  # rule 1 inbound is taken
    job = runner.job("block-ip", "203.0.113.9/32", vpc=vpc)
    plan = runner.plan(job)
    assert any("inbound as rule 2" in c for c in plan.changes) and any("outbound as rule 1" in c for c in plan.changes)
    outcome = runner.apply(job)
    assert nacl_entries(subnet, "203.0.113.9/32") == [(1, True), (2, False)]
    runner.undo(job, outcome)
    assert nacl_entries(subnet, "203.0.113.9/32") == []


def test_block_ip_needs_subnets(runner):
    with pytest.raises(UsageError, match="needs subnets"):
        runner.plan(runner.job("block-ip", "203.0.113.9/32"))


def test_block_ip_in_a_waf_ip_set_and_undo(moto_inprocess):
    waf = boto3.client("wafv2", region_name="us-east-1")
    ip_set = waf.create_ip_set(Name="blocked", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["198.51.100.0/24"])
    ref = {"Name": "blocked", "Scope": "REGIONAL", "Id": ip_set["Summary"]["Id"]}
    runner = Runner(ContainmentConfig(block_ip=BlockIp(mode="waf", waf_ip_set=WafIpSet(name="blocked",
                                                                                       id=ref["Id"]))))
    job = runner.job("block-ip", "203.0.113.9/32")
    assert runner.plan(job).changes == ["Add 203.0.113.9/32 to blocked"]
    outcome = runner.apply(job)
    assert sorted(waf.get_ip_set(**ref)["IPSet"]["Addresses"]) == ["198.51.100.0/24", "203.0.113.9/32"]
    runner.undo(job, outcome)
    assert waf.get_ip_set(**ref)["IPSet"]["Addresses"] == ["198.51.100.0/24"]


def test_block_ip_applies_exactly_the_approved_plan(runner):
    """--vpc is resolved when the plan is made; a subnet (and its ACL) added to the VPC before
    the approval is not touched by the apply the approver approved."""
    import dataclasses

    _, vpc, subnet, _ = instance()
    ec2 = boto3.client("ec2", region_name="us-east-1")
    job = runner.job("block-ip", "203.0.113.9/32", vpc=vpc)
    plan = runner.plan(job)
    late = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.200.0/24")["Subnet"]["SubnetId"]
    late_acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.replace_network_acl_association(AssociationId=_association(ec2, late), NetworkAclId=late_acl)
    approved = dataclasses.replace(job, context=plan.facts)  # the executor hands apply the plan's facts
    runner.apply(approved)
    assert nacl_entries(subnet, "203.0.113.9/32") == [(1, False), (1, True)]
    assert nacl_entries(late, "203.0.113.9/32") == [], "an ACL the approver never saw is untouched"


def _association(ec2, subnet_id):
    for acl in ec2.describe_network_acls()["NetworkAcls"]:
        for association in acl.get("Associations", []):
            if association["SubnetId"] == subnet_id:
                return association["NetworkAclAssociationId"]
    raise AssertionError(f"{subnet_id} has no ACL association")


def test_states_already_reached_plan_as_already_done(runner):
    """Issue 11 item 4: block-ip, disable-access-key and block-public-s3 twice."""
    _, vpc, subnet, _ = instance()
    block = runner.job("block-ip", "198.51.100.7/32", vpc=vpc)
    runner.apply(block)
    assert runner.plan(block).already_done
    iam = boto3.client("iam")
    iam.create_user(UserName="mallory")
    key = iam.create_access_key(UserName="mallory")["AccessKey"]["AccessKeyId"]
    disable = runner.job("disable-access-key", key)
    assert not runner.plan(disable).already_done
    runner.apply(disable)
    assert runner.plan(disable).already_done
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="open-bucket")
    bucket = runner.job("block-public-s3", "open-bucket")
    runner.apply(bucket)
    assert runner.plan(bucket).already_done


def test_undo_removes_only_its_own_entries_and_says_what_still_denies(runner):
    """Another rule denying the same address (added by hand) stays, and the undo says so."""
    _, vpc, subnet, _ = instance()
    ec2 = boto3.client("ec2", region_name="us-east-1")
    job = runner.job("block-ip", "203.0.113.50/32", vpc=vpc)
    outcome = runner.apply(job)
    acl = outcome.memory["entries"][0]["acl"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=150, Protocol="-1", RuleAction="deny", Egress=False,
                                 CidrBlock="203.0.113.50/32")  # someone else's rule
    plan, undone = runner.undo(job, outcome)
    assert undone.verified and "still denied by" in undone.summary and "rule 150" in undone.summary
    assert nacl_entries(subnet, "203.0.113.50/32") == [(150, False)]
