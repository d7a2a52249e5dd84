"""iam/firebreak-policy.json is enough for the whole catalog: the actions run with moto's
IAM enforcement on, as a user holding exactly that policy; without one of its statements
the call it covers is refused with AccessDenied.

What moto 5.2's enforcement sees: the action of every call; the resource only for S3
(the bucket's ARN) and for IAM calls that name a RoleName (the role's ARN); every other
call is checked against the resource "*"; conditions are ignored (an Allow with a
Condition allows as if it had none). So `as_moto_reads_it` widens each Allow statement's
resources to "*" (except S3's) and keeps the Deny statements as they are: moto then applies
the deny on Firebreak's own roles, and checks every action. Resource scoping and conditions
are checked statically instead (tests/aws/actions/test_policy_static.py).

One addition makes moto check a resource it otherwise skips: SSM's SendCommand is checked
against the document's ARN, as IAM does (`document_is_the_resource`), so the policy's pin of
firebreak-* documents to the deploying account is enforced here, not only read. The
escalation paths of issue 22 that rest on conditions (ec2:Attribute, ec2:Owner,
ec2:Add/userId, tags) cannot be refused by moto alone: test_iam_paths_enforced.py makes
each as a real call with tests/support/moto_conditions.py, which decides the calls of its
table again with conditions (so does test_the_bot_can_attach_awsdenyall_only here, for
iam:PolicyARN), and test_policy_static.py tries each as an IAM request."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import enable_iam_authentication
from moto.core.authorization import disable_iam_authentication

from aws.errors import AwsActionError
from aws.sessions import new_session
from core.containment.model import ActionFailed
from tests.aws.actions.conftest import Runner
from tests.aws.actions.test_account_actions import lambda_function
from tests.aws.actions.test_instance_actions import load_balanced
from tests.conftest import REPO
from tests.support.containment import instance

TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
ACCOUNT, FORENSICS, LOG_ARCHIVE = "123456789012", "111122223333", "trail-logs"


def deployed(text: str) -> dict:
    """The JSON policy with its placeholders filled in, as iam/README.md says to attach it."""
    for name, value in (("AWS::AccountId", ACCOUNT), ("ForensicsAccountId", FORENSICS),
                        ("LogArchiveBucket", LOG_ARCHIVE)):
        text = text.replace("${" + name + "}", value)
    return json.loads(text)


POLICY = deployed((REPO / "iam" / "firebreak-policy.json").read_text())
# moto 5.2.6 checks a few S3 calls under the API operation's name where IAM has another
# action (S3's API reference: "To use this operation, you must have the
# s3:GetBucketPublicAccessBlock permission", and likewise for the others). The test grants
# moto's name beside each real one it stands for, and nothing else; the policy keeps the
# real names (checked statically in test_policy_static.py).
MOTO_S3_NAMES = {"s3:GetBucketPublicAccessBlock": ["s3:GetPublicAccessBlock"],
                 "s3:PutBucketPublicAccessBlock": ["s3:PutPublicAccessBlock", "s3:DeletePublicAccessBlock"],
                 "s3:GetBucketObjectLockConfiguration": ["s3:GetObjectLockConfiguration"],
                 "s3:GetObject": ["s3:HeadObject"],
                 "s3:ListBucket": ["s3:ListObjects", "s3:ListObjectsV2"],
                 "s3:ListBucketVersions": ["s3:ListObjectVersions"],
                 "s3:ListBucketMultipartUploads": ["s3:ListMultipartUploads"],
                 "s3:GetEncryptionConfiguration": ["s3:GetBucketEncryption"],
                 "s3:GetLifecycleConfiguration": ["s3:GetBucketLifecycleConfiguration"],
                 "s3:GetReplicationConfiguration": ["s3:GetBucketReplication"],
                 "s3:ListAllMyBuckets": ["s3:ListBuckets"]}


def as_moto_reads_it(policy):
    statements = []
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resource = statement["Resource"]
        checked = all(r.startswith("arn:aws:s3:::") for r in _list(resource)) or actions == ["ssm:SendCommand"]
        if statement["Effect"] == "Allow" and not checked:
            resource = "*"  # moto checks these calls against "*" (see above)
        statements.append({**statement, "Resource": resource,
                           "Action": actions + [m for a in actions for m in MOTO_S3_NAMES.get(a, [])]})
    return {**policy, "Statement": statements}


def _list(value):
    return value if isinstance(value, list) else [value]


@pytest.fixture(autouse=True)
def document_is_the_resource(monkeypatch):
    """moto checks SendCommand against "*"; IAM checks it against the document's ARN (an
    AWS-owned document has no account in it; a name is a document of the caller's account;
    an ARN names another account's shared document). So does moto, from here on."""
    from moto.ssm.responses import SimpleSystemManagerResponse

    def resource(self):
        if self._get_action() != "SendCommand":
            return "*"
        name = self._get_param("DocumentName") or ""
        if name.startswith("arn:"):
            return name
        owner = "" if name.startswith("AWS-") else self.current_account
        return f"arn:aws:ssm:{self.region}:{owner}:document/{name}"

    monkeypatch.setattr(SimpleSystemManagerResponse, "_determine_resource", resource, raising=False)


def responder(name, policy, monkeypatch):
    """An IAM user holding `policy`; boto3 in this test acts as that user from now on."""
    iam = boto3.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="firebreak", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)


def the_bot(monkeypatch):
    """Firebreak's principal holding moto's reading of the policy, with the calls of
    tests/support/moto_conditions.py's table also decided with the policy's conditions:
    the catalog's own calls must pass both."""
    from tests.support.moto_conditions import condition_aware

    responder("firebreak", as_moto_reads_it(POLICY), monkeypatch)
    condition_aware(monkeypatch, {f"arn:aws:iam::{ACCOUNT}:user/firebreak": POLICY})


def estate():
    instance_id, vpc, subnet, _ = instance()
    load_balanced(instance_id, vpc, subnet)
    iam = boto3.client("iam")
    iam.create_user(UserName="intern")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    key = iam.create_access_key(UserName="intern")["AccessKey"]["AccessKeyId"]
    profile = iam.create_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Arn"]
    boto3.client("ec2", region_name="us-east-1").associate_iam_instance_profile(
        InstanceId=instance_id, IamInstanceProfile={"Arn": profile})
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
    return [("isolate-instance", instance_id, {"snapshot": True}), ("disable-access-key", key, {}),
            ("quarantine-user", "intern", {}), ("quarantine-role", "app", {}), ("block-public-s3", "exposed", {}),
            ("revoke-instance-role", instance_id, {}), ("block-ip", "203.0.113.9/32", {"vpc": vpc})]


def granted():
    return {a for s in POLICY["Statement"] for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}


@pytest.mark.slow
def test_the_catalog_runs_under_exactly_the_shipped_policy(moto_inprocess, monkeypatch):
    with disable_iam_authentication():
        jobs = estate()
        the_bot(monkeypatch)
    with enable_iam_authentication():
        runner = Runner()
        for action, target, options in jobs:
            job = runner.job(action, target, **options)
            runner.plan(job)
            outcome = runner.apply(job)
            runner.undo(job, outcome)


def test_the_policy_grants_every_lambda_call_of_disable_lambda(moto_inprocess):
    """moto 5.2 cannot check signatures of Lambda's REST paths under IAM enforcement, so
    for disable-lambda the test checks the calls made against the policy's actions."""
    lambda_function()
    runner = Runner()
    job = runner.job("disable-lambda", "exfil")
    runner.plan(job)
    runner.undo(job, runner.apply(job))
    calls = {c["call"] for c in runner.calls if c["call"].startswith("lambda:")}
    assert calls == {"lambda:GetFunction", "lambda:GetFunctionConcurrency", "lambda:PutFunctionConcurrency",
                     "lambda:DeleteFunctionConcurrency"}
    assert calls <= granted()


def test_without_the_policy_statement_the_call_is_denied(moto_inprocess, monkeypatch):
    policy = as_moto_reads_it(POLICY)
    weaker = {**policy, "Statement": [s for s in policy["Statement"] if s["Sid"] != "ReadIamPrincipals"]}
    with disable_iam_authentication():
        iam = boto3.client("iam")
        iam.create_user(UserName="deploy")
        key = iam.create_access_key(UserName="deploy")["AccessKey"]["AccessKeyId"]
        responder("firebreak", weaker, monkeypatch)
    with enable_iam_authentication():
        runner = Runner()
        with pytest.raises(AwsActionError) as caught:
            runner.plan(runner.job("disable-access-key", key))
        assert caught.value.code == "AccessDenied"
        assert "iam:GetAccessKeyLastUsed" in caught.value.message
        with pytest.raises(ActionFailed) as failed:
            runner.catalog.apply(runner.job("disable-access-key", key), runner.calls.append)
        assert failed.value.code == "AccessDenied"


ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
TRUST_ACCOUNT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"},
                                                         "Action": "sts:AssumeRole"}]}


def refused(call, **params):
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["Error"]["Code"] == "AccessDenied", caught.value.response["Error"]


def test_the_bot_cannot_grant_itself_admin(moto_inprocess, monkeypatch):
    """Issue 10, item 2, reproduced: with the shipped policy, Firebreak's principal (an IAM
    user, and a role session) tries to write an allow-all policy onto itself or attach
    AdministratorAccess to itself, and then to use the admin it wanted. Each is refused.
    moto refuses Put*Policy because no statement allows the action, and AttachRolePolicy
    on the bot's own role because of the Deny on firebreak* roles (moto resolves the ARN
    of a named role). AttachUserPolicy of AdministratorAccess is refused in AWS by the
    iam:PolicyARN condition and the Deny on firebreak* users, neither of which moto alone
    can see: test_the_bot_can_attach_awsdenyall_only refuses it with the condition-aware
    hook, and test_policy_static.py checks it."""
    moto_policy = json.dumps(as_moto_reads_it(POLICY))
    with disable_iam_authentication():
        iam = boto3.client("iam")
        iam.create_role(RoleName="firebreak-bot", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
        iam.put_role_policy(RoleName="firebreak-bot", PolicyName="firebreak", PolicyDocument=moto_policy)
        session = boto3.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/firebreak-bot",
                                                  RoleSessionName="firebreak")["Credentials"]
        responder("firebreak", as_moto_reads_it(POLICY), monkeypatch)
    as_role = boto3.client("iam", aws_access_key_id=session["AccessKeyId"],
                           aws_secret_access_key=session["SecretAccessKey"], aws_session_token=session["SessionToken"])
    with enable_iam_authentication():
        as_user = new_session().client("iam")  # a new session reads the bot's key from the environment
        refused(as_user.put_user_policy, UserName="firebreak", PolicyName="pwn", PolicyDocument=json.dumps(ALLOW_ALL))
        refused(as_user.put_role_policy, RoleName="firebreak-bot", PolicyName="pwn",
                PolicyDocument=json.dumps(ALLOW_ALL))
        refused(as_role.put_role_policy, RoleName="firebreak-bot", PolicyName="pwn",
                PolicyDocument=json.dumps(ALLOW_ALL))
        refused(as_role.attach_role_policy, RoleName="firebreak-bot", PolicyArn=ADMIN)
        refused(as_role.detach_role_policy, RoleName="firebreak-bot",
                PolicyArn="arn:aws:iam::aws:policy/AWSDenyAll")
        refused(as_user.create_user, UserName="backdoor")  # what the reproduction did next
        refused(as_role.create_user, UserName="backdoor")
    assert iam.list_user_policies(UserName="firebreak")["PolicyNames"] == ["firebreak"]
    assert iam.list_role_policies(RoleName="firebreak-bot")["PolicyNames"] == ["firebreak"]
    assert iam.list_attached_role_policies(RoleName="firebreak-bot")["AttachedPolicies"] == []


def test_the_bot_can_attach_awsdenyall_only(moto_inprocess, monkeypatch):
    """Issue 10's AttachUserPolicy of AdministratorAccess, refused by the iam:PolicyARN
    condition. moto alone ignores conditions and checks user calls against "*", so it lets
    the attach through (pinned first, so the claim stays true); with
    tests/support/moto_conditions.py, which reads iam:PolicyARN from the request, it is
    refused and quarantine's own attach of AWSDenyAll still succeeds."""
    from tests.support.moto_conditions import condition_aware

    with disable_iam_authentication():
        for name in ("intern", "contractor"):
            boto3.client("iam").create_user(UserName=name)
        responder("firebreak", as_moto_reads_it(POLICY), monkeypatch)
    with enable_iam_authentication():
        new_session().client("iam").attach_user_policy(UserName="intern", PolicyArn=ADMIN)  # moto alone: blind
        condition_aware(monkeypatch, {f"arn:aws:iam::{ACCOUNT}:user/firebreak": POLICY})
        as_bot = new_session().client("iam")
        refused(as_bot.attach_user_policy, UserName="contractor", PolicyArn=ADMIN)
        as_bot.attach_user_policy(UserName="contractor", PolicyArn="arn:aws:iam::aws:policy/AWSDenyAll")
    attached = boto3.client("iam").list_attached_user_policies(UserName="contractor")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AWSDenyAll"]


@pytest.mark.slow
def test_remediation_runs_under_exactly_the_shipped_policy(moto_inprocess, monkeypatch):
    """/remediate's actions under moto's IAM enforcement. Config's history (Stubber) and SSM's
    DescribeInstanceInformation (not in moto) do not reach moto: their calls are checked
    against the policy's actions instead."""
    from botocore.awsrequest import AWSResponse
    from botocore.stub import Stubber

    from aws.actions.remediation import replace_instance
    from tests.aws.actions.test_remediation_actions import (BEFORE, BEFORE_ITEM, CONTEXT, Partly, Remediation, bucket,
                                                            history, ssm_info)

    monkeypatch.setattr(replace_instance, "_sleep", lambda s: None)
    with disable_iam_authentication():
        instance_id, vpc, subnet, _ = instance()
        load_balanced(instance_id, vpc, subnet)
        iam = boto3.client("iam")
        iam.create_user(UserName="intern")
        iam.create_login_profile(UserName="intern", Password="Correct-Horse-9")
        key = iam.create_access_key(UserName="intern")["AccessKey"]["AccessKeyId"]
        iam.update_access_key(UserName="intern", AccessKeyId=key, Status="Inactive")
        bucket({**BEFORE, "Statement": [{**BEFORE["Statement"][0], "Principal": "*"}]})
        the_bot(monkeypatch)
    with enable_iam_authentication():
        ssm = new_session().client("ssm", region_name="us-east-1")  # a new session: the bot's key
        ssm.meta.events.register("before-call.ssm.DescribeInstanceInformation",
                                 lambda **_: (AWSResponse(None, 200, {}, None), ssm_info(instance_id)))
        config = new_session().client("config", region_name="us-east-1")
        with Stubber(config) as stub:
            stub.add_response("get_resource_config_history", history(BEFORE_ITEM))
            runner = Remediation(sessions=Partly(ssm=ssm, config=config))
            runner.run("delete-login-profile", "intern")
            runner.run("delete-access-key", key)
            runner.run("patch-instance", instance_id)
            job, _, outcome = runner.run("restore-bucket-policy", "reports", CONTEXT)
            runner.undo(job, outcome)
            job, _, outcome = runner.run("replace-instance", instance_id)
            runner.undo(job, outcome)
            isolation = runner.apply(runner.job("isolate-instance", instance_id))
            runner.run("lift-isolation", instance_id, {"isolation": isolation.memory, "ends_request": 1})
    calls = {c["call"] for c in runner.calls}
    assert {"config:GetResourceConfigHistory", "ssm:DescribeInstanceInformation", "iam:DeleteLoginProfile",
            "ec2:RunInstances", "ec2:TerminateInstances", "s3:PutBucketPolicy", "ssm:SendCommand"} <= calls
    assert {"config:GetResourceConfigHistory", "ssm:DescribeInstanceInformation"} <= granted()


def test_without_the_remediation_statement_the_call_is_denied(moto_inprocess, monkeypatch):
    from tests.aws.actions.test_remediation_actions import Remediation

    policy = as_moto_reads_it(POLICY)
    weaker = {**policy, "Statement": [s for s in policy["Statement"] if s["Sid"] != "RemediateIamUserCredentials"]}
    with disable_iam_authentication():
        boto3.client("iam").create_user(UserName="intern")
        boto3.client("iam").create_login_profile(UserName="intern", Password="Correct-Horse-9")
        responder("firebreak", weaker, monkeypatch)
    with enable_iam_authentication():
        runner = Remediation()
        with pytest.raises(AwsActionError) as caught:
            runner.plan(runner.job("delete-login-profile", "intern"))
    assert caught.value.code == "AccessDenied" and "iam:GetLoginProfile" in caught.value.message


def test_block_public_s3_does_not_depend_on_reading_the_bucket_policy(moto_inprocess, monkeypatch):
    """Without ReadBucketPolicies (an operator who wants no bucket-policy access), blocking
    public access still works; only restore-bucket-policy loses its fallback."""
    policy = as_moto_reads_it(POLICY)
    weaker = {**policy, "Statement": [s for s in policy["Statement"] if s["Sid"] != "ReadBucketPolicies"]}
    with disable_iam_authentication():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed")
        responder("firebreak", weaker, monkeypatch)
    with enable_iam_authentication():
        runner = Runner()
        outcome = runner.apply(runner.job("block-public-s3", "exposed"))
    assert "policy" not in outcome.memory
    assert any(c["call"] == "s3:GetBucketPolicy" and c["status"] == 403 for c in runner.calls)


def evidence_estate():
    """An encrypted instance with a role, an Object Lock evidence bucket, a trail and access
    logs delivering to S3: every evidence action has something to collect."""
    from datetime import datetime, timezone

    from tests.aws.actions.test_evidence_actions import encrypted_instance, evidence_bucket, memory_document

    evidence_bucket("firebreak-evidence-iam")
    memory_document()
    instance_id = encrypted_instance()
    s3 = boto3.client("s3", region_name="us-east-1")
    now = datetime.now(timezone.utc)
    s3.create_bucket(Bucket="trail-logs")
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(Name="main", S3BucketName="trail-logs")
    s3.put_object(Bucket="trail-logs", Key=f"AWSLogs/123456789012/CloudTrail/us-east-1/{now:%Y/%m/%d}/"
                                           f"123456789012_CloudTrail_us-east-1_{now:%Y%m%dT%H%M}Z_a.json.gz", Body=b"{}")
    s3.create_bucket(Bucket="exposed-data")
    return [("collect-instance-data", instance_id, {}), ("collect-disk", instance_id, {"share": "111122223333"}),
            ("collect-memory", instance_id, {}), ("collect-logs", instance_id, {"hours": "1"}),
            ("collect-logs", "exposed-data", {"hours": "1"})]


@pytest.mark.slow
def test_the_evidence_actions_run_under_exactly_the_shipped_policy(moto_inprocess, monkeypatch):
    from tests.aws.actions.test_evidence_actions import Runner as EvidenceRunner

    with disable_iam_authentication():
        jobs = evidence_estate()
        the_bot(monkeypatch)
    with enable_iam_authentication():
        runner = EvidenceRunner(bucket="firebreak-evidence-iam", kms_key_id="alias/forensics",
                                forensics_account="111122223333", memory_document="firebreak-CollectMemory")
        for action, target, options in jobs:
            job = runner.job(action, target, **options)
            runner.plan(job)
            assert runner.apply(job).memory["evidence"] or action == "collect-memory", action
    calls = {c["call"] for c in runner.calls}
    assert {"ec2:CopySnapshot", "ec2:ModifySnapshotAttribute", "ssm:SendCommand", "s3:PutObject",
            "s3:GetObjectLockConfiguration", "cloudtrail:DescribeTrails", "ec2:GetConsoleOutput"} <= calls
    assert not [c for c in runner.calls if c["error"]], [c for c in runner.calls if c["error"]]


def test_evidence_writes_outside_the_evidence_bucket_convention_are_denied(moto_inprocess, monkeypatch):
    from tests.aws.actions.test_evidence_actions import Runner as EvidenceRunner, evidence_bucket

    with disable_iam_authentication():
        evidence_bucket("forensics-store")
        instance_id, *_ = instance()
        responder("firebreak", as_moto_reads_it(POLICY), monkeypatch)
    with enable_iam_authentication():
        runner = EvidenceRunner(bucket="forensics-store")
        with pytest.raises(ActionFailed) as caught:  # (moto reads the lock check as s3:ListBucket, granted above)
            runner.catalog.apply(runner.job("collect-instance-data", instance_id), runner.calls.append)
        assert caught.value.code == "AccessDenied" and "s3:PutObject" in caught.value.message


def test_a_firebreak_document_shared_from_another_account_is_refused(moto_inprocess, monkeypatch):
    """Issue 22, item 1: a document named firebreak-* that an attacker shares from another
    account was allowed (`arn:aws:ssm:*:*:document/firebreak-*`). The policy now names the
    deploying account; moto checks SendCommand against the document (fixture above)."""
    with disable_iam_authentication():
        instance_id, *_ = instance()
        responder("firebreak", as_moto_reads_it(POLICY), monkeypatch)
    with enable_iam_authentication():
        ssm = new_session().client("ssm", region_name="us-east-1")
        for document in ("arn:aws:ssm:us-east-1:999999999999:document/firebreak-CollectMemory", "AWS-RunShellScript"):
            with pytest.raises(ClientError) as caught:
                ssm.send_command(InstanceIds=[instance_id], DocumentName=document)
            # moto 5.2 answers an SSM (JSON protocol) refusal with IAM's XML error body, so
            # botocore reports the HTTP status as the code; the body names AccessDenied.
            error = caught.value.response["Error"]
            assert error["Code"] in ("AccessDenied", "403") and "AccessDenied" in str(error), error
            assert "ssm:SendCommand" in str(error)
        sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="firebreak-CollectMemory")  # the account's own
        assert sent["Command"]["DocumentName"] == "firebreak-CollectMemory"


def test_a_bucket_whose_name_contains_logs_is_not_readable(moto_inprocess, monkeypatch):
    """Issue 22, item 4(e): GetObject was allowed on any bucket named *logs*. Now only the
    log archive bucket named at deployment (here trail-logs); moto checks S3 resources."""
    s3 = boto3.client("s3", region_name="us-east-1")
    with disable_iam_authentication():
        for name in ("payroll-export-logs", LOG_ARCHIVE):
            s3.create_bucket(Bucket=name)
            s3.put_object(Bucket=name, Key="2026/salaries.csv", Body=b"alice,100000")
        responder("firebreak", as_moto_reads_it(POLICY), monkeypatch)
    with enable_iam_authentication():
        as_bot = new_session().client("s3", region_name="us-east-1")
        refused(as_bot.get_object, Bucket="payroll-export-logs", Key="2026/salaries.csv")
        assert as_bot.get_object(Bucket=LOG_ARCHIVE, Key="2026/salaries.csv")["Body"].read() == b"alice,100000"


def test_the_pass_through_group_allows_nothing_once_an_isolation_is_done(moto_inprocess, monkeypatch):
    """Issue 22, item 4(a): the pass-through group allowed all traffic at all times, so any
    interface moved into it was open. It is open only while isolation moves interfaces
    through it, and an old always-open one is closed when an isolation meets it."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    with disable_iam_authentication():
        instance_id, vpc, *_ = instance()
        legacy = ec2.create_security_group(GroupName="firebreak-isolation-pass-through", Description="old",
                                           VpcId=vpc, TagSpecifications=[{"ResourceType": "security-group", "Tags": [
                                               {"Key": "firebreak:managed", "Value": "isolation"}]}])["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=legacy, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        the_bot(monkeypatch)
    with enable_iam_authentication():
        runner = Runner()
        job = runner.job("isolate-instance", instance_id)
        runner.plan(job)
        runner.apply(job)
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                   {"Name": "tag-key", "Values": ["firebreak:managed"]}])
    firebreaks = {g["GroupName"]: g for g in groups["SecurityGroups"]}
    assert set(firebreaks) == {"firebreak-isolation", "firebreak-isolation-untrack", "firebreak-isolation-pass-through"}
    for name, group in firebreaks.items():
        assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == [], f"{name} allows traffic"
    opened = [c for c in runner.calls if c["call"] == "ec2:AuthorizeSecurityGroupIngress"]
    assert len(opened) == 1, "opened once, for the move"
