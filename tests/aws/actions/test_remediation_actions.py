"""/remediate's actions against moto (botocore's Stubber where moto lacks the API: SSM's
DescribeInstanceInformation, AWS Config's history): plan, apply, verify, undo where AWS
allows it, and each refusal in words a responder can act on."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from aws.actions.registry import AwsCatalog
from aws.actions.remediation import patch_instance, replace_instance
from aws.errors import AwsActionError
from aws.sessions import AwsSessions
from core.containment.catalog import Job
from core.containment.config import ContainmentConfig
from core.containment.model import ActionFailed
from core.containment.remediation_config import RemediationConfig
from tests.aws.actions.conftest import AWS, Runner
from tests.aws.actions.test_instance_actions import ec2, in_asg, load_balanced, protected, targets
from tests.support.containment import eni_groups, instance

pytestmark = pytest.mark.slow  # moto loads its EC2 images on first use (seconds)
DECLARED = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}


class Partly:
    """AwsSessions over moto, except the services given stubbed clients."""

    def __init__(self, **stubbed):
        self.real, self.stubbed = AwsSessions(AWS), stubbed

    def client(self, service, **kwargs):
        return self.stubbed.get(service) or self.real.client(service, **kwargs)


class Remediation(Runner):
    """Plans with the context core would hand over, applies with the plan's facts added (as the
    executor does), numbered R3."""

    def __init__(self, config=None, remediation=None, sessions=None):
        super().__init__(config)
        self.catalog = AwsCatalog(sessions or AwsSessions(AWS), config or ContainmentConfig(),
                                  remediation or RemediationConfig())

    def job(self, action, target, context=None, **options):
        return Job(action, target, options, None, "us-east-1", 7, request_id=3, context=context or {})

    def run(self, action, target, context=None, **options):
        job = self.job(action, target, context, **options)
        plan = self.plan(job)
        approved = Job(action, target, options, None, "us-east-1", 7, request_id=3,
                       context={**plan.facts, **(context or {})})
        return job, plan, self.apply(approved)


@pytest.fixture
def remediation(moto_inprocess):
    return Remediation()


def iam():
    return boto3.client("iam")


# ------------------------------------------------------------------ delete-access-key
def test_delete_access_key_only_once_disabled(remediation):
    iam().create_user(UserName="intern")
    key = iam().create_access_key(UserName="intern")["AccessKey"]["AccessKeyId"]
    with pytest.raises(ActionFailed) as refused:
        remediation.plan(remediation.job("delete-access-key", key))
    assert refused.value.code == "KeyStillActive"
    assert f"disable it first: `/contain disable-access-key {key}`" in refused.value.message
    with pytest.raises(ActionFailed):  # apply re-checks: approved, then re-enabled, is refused too
        remediation.catalog.apply(remediation.job("delete-access-key", key), remediation.calls.append)
    assert [k["AccessKeyId"] for k in iam().list_access_keys(UserName="intern")["AccessKeyMetadata"]] == [key]

    iam().update_access_key(UserName="intern", AccessKeyId=key, Status="Inactive")
    _, plan, outcome = remediation.run("delete-access-key", key)
    assert plan.current[0] == f"Access key {key} of IAM user intern: Inactive (disabled first)"
    assert "no undo" in plan.changes[0]
    assert iam().list_access_keys(UserName="intern")["AccessKeyMetadata"] == []
    assert outcome.checks == [("intern no longer has the key", True)]
    assert "iam:DeleteAccessKey" in {c["call"] for c in remediation.calls}
    with pytest.raises(ActionFailed, match="AWS knows no access key"):
        remediation.plan(remediation.job("delete-access-key", key))


def test_delete_access_key_of_a_protected_principal_is_refused(moto_inprocess):
    iam().create_user(UserName="breakglass")
    key = iam().create_access_key(UserName="breakglass")["AccessKey"]["AccessKeyId"]
    iam().update_access_key(UserName="breakglass", AccessKeyId=key, Status="Inactive")
    runner = Remediation(ContainmentConfig(protected_principals=["breakglass"]))
    with pytest.raises(ActionFailed) as refused:
        runner.plan(runner.job("delete-access-key", key))
    assert refused.value.code == "ProtectedPrincipal" and "protected_principals (breakglass)" in refused.value.message


# ------------------------------------------------------------------ delete-login-profile
def test_delete_login_profile(remediation):
    iam().create_user(UserName="intern")
    iam().create_login_profile(UserName="intern", Password="Correct-Horse-9")
    _, plan, outcome = remediation.run("delete-login-profile", "intern")
    assert plan.current[0].startswith("IAM user intern: console password set")
    assert "no undo" in plan.changes[0] and not plan.already_done
    with pytest.raises(Exception) as gone:
        iam().get_login_profile(UserName="intern")
    assert "NoSuchEntity" in str(gone.value)
    assert outcome.verified and outcome.memory == {"had_profile": True}
    again = remediation.plan(remediation.job("delete-login-profile", "intern"))
    assert again.already_done and again.changes == ["Nothing: no login profile to delete"]


def test_delete_login_profile_refusals(moto_inprocess):
    iam().create_user(UserName="oncall-admin")
    iam().create_login_profile(UserName="oncall-admin", Password="Correct-Horse-9")
    runner = Remediation(ContainmentConfig(protected_principals=["oncall-admin"]))
    with pytest.raises(ActionFailed) as refused:
        runner.plan(runner.job("delete-login-profile", "oncall-admin"))
    assert refused.value.code == "ProtectedPrincipal"
    assert "Refusing to delete the console password of IAM user oncall-admin" in refused.value.message
    assert iam().get_login_profile(UserName="oncall-admin")["LoginProfile"]
    with pytest.raises(AwsActionError) as unknown:
        runner.plan(runner.job("delete-login-profile", "nobody"))
    assert unknown.value.code == "NoSuchEntity"


# ------------------------------------------------------------------ lift-isolation
def test_lift_isolation_runs_the_isolations_own_undo(remediation):
    instance_id, vpc, subnet, groups = instance()
    tg = load_balanced(instance_id, vpc, subnet)
    before = eni_groups(instance_id)
    isolation = remediation.apply(remediation.job("isolate-instance", instance_id))
    assert eni_groups(instance_id) != before and targets(tg) == []

    with pytest.raises(ActionFailed, match="nothing to lift"):
        remediation.plan(remediation.job("lift-isolation", instance_id))
    context = {"isolation": isolation.memory, "ends_request": 1}
    _, plan, outcome = remediation.run("lift-isolation", instance_id, context)
    [eni] = before
    assert f"{eni}: back to {', '.join(groups)}" in plan.changes
    assert "Re-attach to Auto Scaling group web-asg" in plan.changes
    assert eni_groups(instance_id) == before
    assert not protected(instance_id) and in_asg(instance_id) == ["web-asg"] and targets(tg) == [instance_id]
    assert "isolation lifted" in outcome.summary and outcome.verified


# ------------------------------------------------------------------ restore-bucket-policy
BEFORE = {"Version": "2012-10-17", "Statement": [{"Sid": "Ops", "Effect": "Allow",
                                                  "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
ATTACKER = {"Version": "2012-10-17", "Statement": [{"Sid": "Leak", "Effect": "Allow", "Principal": "*",
                                                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}


def config_client():
    return boto3.client("config", region_name="us-east-1")


COMPROMISED = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)  # the earliest linked finding's first-seen


def item(policy: dict | None, captured: datetime, state_id: str) -> dict:
    """A configuration item as AWS Config returns it (supplementary values are JSON strings)."""
    return {"configurationItemCaptureTime": captured, "configurationItemStatus": "OK", "resourceType": "AWS::S3::Bucket",
            "resourceId": "reports", "configurationStateId": state_id, "supplementaryConfiguration": {
                "BucketPolicy": json.dumps({"policyText": json.dumps(policy) if policy else None})}}


def history(*items) -> dict:
    return {"configurationItems": list(items)}


BEFORE_ITEM = item(BEFORE, datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc), "1001")
AFTER_ITEM = item(ATTACKER, datetime(2026, 11, 29, 9, 30, tzinfo=timezone.utc), "1002")


def bucket(policy: dict | None):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="reports")
    if policy:
        s3.put_bucket_policy(Bucket="reports", Policy=json.dumps(policy))


def policy_now():
    try:
        return json.loads(boto3.client("s3", region_name="us-east-1").get_bucket_policy(Bucket="reports")["Policy"])
    except Exception as exc:  # noqa: BLE001 - NoSuchBucketPolicy
        assert "NoSuchBucketPolicy" in str(exc)
        return None


CONTEXT = {"declared_at": DECLARED.isoformat(), "compromised_at": "2026-11-29T09:00:00.000Z"}
ASKED = {"resourceType": "AWS::S3::Bucket", "resourceId": "reports", "chronologicalOrder": "Reverse", "limit": 100}


def test_restore_bucket_policy_writes_the_last_config_item_before_the_compromise_and_undo(moto_inprocess):
    """AWS Config's GetResourceConfigHistory through botocore's Stubber (moto returns no history)."""
    bucket(ATTACKER)
    client = config_client()
    with Stubber(client) as stub:
        stub.add_response("get_resource_config_history", history(AFTER_ITEM, BEFORE_ITEM), ASKED)
        runner = Remediation(sessions=Partly(config=client))
        job, plan, outcome = runner.run("restore-bucket-policy", "reports", CONTEXT)
        stub.assert_no_pending_responses()
    assert plan.current[0] == "Bucket reports policy now: 1 statement(s), " + \
        f"{len(json.dumps(ATTACKER))} characters"
    assert "first-seen time of the incident's earliest linked finding (2026-11-29 09:00:00 UTC)" in plan.current[1]
    assert plan.current[2] == ("AWS Config items (newest first): 1002 captured 2026-11-29 09:30:00 UTC after the "
                               "compromise; 1001 captured 2026-11-29 08:00:00 UTC before the compromise ← written")
    assert plan.facts["config_item"] == "1001" and plan.facts["restore_policy"] == json.dumps(BEFORE)
    assert plan.changes == ["Write the policy of AWS Config item 1001, captured 2026-11-29 08:00:00 UTC, the last "
                            "before the compromise, exactly as in restore-bucket-policy-reports.txt (undo puts "
                            "today's policy back)"]
    assert policy_now() == BEFORE and outcome.verified and json.loads(outcome.memory["replaced"]) == ATTACKER

    undo_plan, _ = runner.undo(job, outcome)
    assert "Back to the policy it replaced" in undo_plan.changes[0]
    assert json.dumps(ATTACKER, indent=2, sort_keys=True) in undo_plan.facts["review"]["text"]
    assert policy_now() == ATTACKER


def test_restore_shows_the_whole_policy_and_each_statement_never_cut(moto_inprocess):
    """Issue 22 item 3: plan lines cut a policy at 600 characters, so the approver could not
    see what would be written. Now every character is in the attached review file, and the
    card's lines show the statement-by-statement diff without cutting any statement."""
    long_statements = [{"Sid": f"Team{n}", "Effect": "Allow",
                        "Principal": {"AWS": [f"arn:aws:iam::1234567890{n:02d}:role/reader-{k}" for k in range(8)]},
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]} for n in range(6)]
    big = {"Version": "2012-10-17", "Statement": [*long_statements, BEFORE["Statement"][0]]}
    assert len(json.dumps(big)) > 3000
    bucket(ATTACKER)
    client = config_client()
    with Stubber(client) as stub:
        stub.add_response("get_resource_config_history",
                          history(AFTER_ITEM, item(big, datetime(2026, 11, 28, tzinfo=timezone.utc), "0999")), ASKED)
        runner = Remediation(sessions=Partly(config=client))
        plan = runner.plan(runner.job("restore-bucket-policy", "reports", CONTEXT))
    review = plan.facts["review"]
    assert review["name"] == "restore-bucket-policy-reports.txt"
    assert json.dumps(big, indent=2, sort_keys=True) in review["text"]  # every character of what is written
    assert json.dumps(ATTACKER, indent=2, sort_keys=True) in review["text"]
    assert review["text"].count("+ added back:") == 7 and review["text"].count("- removed:") == 1
    lines = "\n".join(plan.current)
    assert "Statement by statement: 7 added back, 1 removed, 0 kept" in lines
    assert '− statement Leak removed: {"Action":"s3:GetObject"' in lines
    assert "+ statement Ops added back: " in lines
    assert all("…" not in line for line in plan.current + plan.changes)
    assert plan.facts["restore_policy"] == json.dumps(big)


def test_an_item_captured_after_the_compromise_is_refused_unless_named(moto_inprocess):
    bucket(ATTACKER)
    client = config_client()
    with Stubber(client) as stub:
        stub.add_response("get_resource_config_history", history(AFTER_ITEM), ASKED)
        runner = Remediation(sessions=Partly(config=client))
        with pytest.raises(ActionFailed) as refused:
            runner.plan(runner.job("restore-bucket-policy", "reports", CONTEXT))
        assert refused.value.code == "NoEarlierPolicy"
        assert "AWS Config has no item captured before 2026-11-29 09:00:00 UTC" in refused.value.message
        assert "name it with --config-item <id>: 1002 (2026-11-29 09:30:00 UTC)" in refused.value.message
        stub.add_response("get_resource_config_history", history(AFTER_ITEM), ASKED)
        named = runner.plan(runner.job("restore-bucket-policy", "reports", CONTEXT, **{"config-item": "1002"}))
        stub.assert_no_pending_responses()
    assert named.facts["config_item"] == "1002" and named.already_done  # the attacker's policy is what is there
    assert any(line.startswith(":warning: captured after the compromise began") for line in named.current)
    assert policy_now() == ATTACKER


def test_without_a_linked_finding_the_declaration_is_the_reference_and_the_plan_says_so(moto_inprocess):
    bucket(ATTACKER)
    client = config_client()
    with Stubber(client) as stub:
        stub.add_response("get_resource_config_history", history(AFTER_ITEM, BEFORE_ITEM), ASKED)
        runner = Remediation(sessions=Partly(config=client))
        plan = runner.plan(runner.job("restore-bucket-policy", "reports", {"declared_at": DECLARED.isoformat()}))
    assert "the incident's declaration (2026-11-30 09:00:00 UTC): no linked finding" in plan.current[1]
    assert plan.facts["config_item"] == "1002"  # before the declaration: the plan shows the compromise may be earlier


def test_restore_deletes_a_policy_the_bucket_did_not_have_before(moto_inprocess):
    bucket(ATTACKER)
    client = config_client()
    with Stubber(client) as stub:
        stub.add_response("get_resource_config_history",
                          history(item(None, datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc), "1001")))
        runner = Remediation(sessions=Partly(config=client))
        _, plan, outcome = runner.run("restore-bucket-policy", "reports", CONTEXT)
    assert plan.changes[0].startswith("Delete the bucket policy (AWS Config item 1001, captured 2026-11-29")
    assert policy_now() is None and outcome.verified


def test_restore_is_refused_when_no_earlier_policy_is_known(moto_inprocess):
    bucket(ATTACKER)
    client = config_client()
    with Stubber(client) as stub:
        stub.add_client_error("get_resource_config_history", "ResourceNotDiscoveredException", "not recorded")
        runner = Remediation(sessions=Partly(config=client))
        with pytest.raises(ActionFailed) as refused:
            runner.plan(runner.job("restore-bucket-policy", "reports", CONTEXT))
    assert refused.value.code == "NoEarlierPolicy"
    assert refused.value.message.startswith("No bucket policy from before the compromise is known for reports: AWS "
                                            "Config never recorded the bucket")
    assert refused.value.message.endswith("Else restore it by hand from your infrastructure code.")
    assert policy_now() == ATTACKER


def test_what_block_public_s3_remembered_is_used_only_when_named(moto_inprocess):
    bucket(BEFORE)
    runner = Remediation()
    blocked = runner.apply(runner.job("block-public-s3", "reports"))
    assert json.loads(blocked.memory["policy"]) == BEFORE
    boto3.client("s3", region_name="us-east-1").put_bucket_policy(Bucket="reports", Policy=json.dumps(ATTACKER))
    client = config_client()
    context = {**CONTEXT, "remembered": {"policy": blocked.memory["policy"], "by": "C2", "at": None}}
    with Stubber(client) as stub:
        stub.add_client_error("get_resource_config_history", "NoAvailableConfigurationRecorderException", "off")
        runner = Remediation(sessions=Partly(config=client))
        with pytest.raises(ActionFailed) as refused:
            runner.plan(runner.job("restore-bucket-policy", "reports", context))
        assert "block-public-s3 found (during the incident) is --config-item remembered" in refused.value.message
        stub.add_client_error("get_resource_config_history", "NoAvailableConfigurationRecorderException", "off")
        _, plan, _ = runner.run("restore-bucket-policy", "reports", context, **{"config-item": "remembered"})
    assert "as C2 block-public-s3 found it, during the incident" in plan.changes[0]
    assert any(line.startswith(":warning:") for line in plan.current)
    assert policy_now() == BEFORE


# ------------------------------------------------------------------ patch-instance
def ssm_info(instance_id, ping="Online"):
    return {"InstanceInformationList": [{"InstanceId": instance_id, "PingStatus": ping, "AgentVersion": "3.3.40",
                                         "PlatformName": "Amazon Linux", "PlatformVersion": "2023"}]}


def asked_for(instance_id):
    return {"Filters": [{"Key": "InstanceIds", "Values": [instance_id]}]}


def test_patch_instance_sends_run_patch_baseline_and_polls_with_backoff(moto_inprocess, monkeypatch):
    instance_id, _, _, _ = instance()
    slept = []
    monkeypatch.setattr(patch_instance, "_sleep", slept.append)
    client = boto3.client("ssm", region_name="us-east-1")
    command = {"Command": {"CommandId": "0b1c2d3e-aaaa-bbbb-cccc-111122223333", "DocumentName": "AWS-RunPatchBaseline"}}
    with Stubber(client) as stub:
        stub.add_response("describe_instance_information", ssm_info(instance_id), asked_for(instance_id))
        stub.add_response("describe_instance_information", ssm_info(instance_id), asked_for(instance_id))
        stub.add_response("send_command", command, {
            "InstanceIds": [instance_id], "DocumentName": "AWS-RunPatchBaseline",
            "Parameters": {"Operation": ["Install"], "RebootOption": ["NoReboot"]}, "Comment": "Firebreak R3 incident 7"})
        stub.add_client_error("get_command_invocation", "InvocationDoesNotExist", "not yet")
        stub.add_response("get_command_invocation", {"Status": "InProgress"})
        stub.add_response("get_command_invocation", {"Status": "Success", "StatusDetails": "Success",
                                                     "StandardOutputUrl": "s3://out/patch.txt"})
        stub.add_response("get_command_invocation", {"Status": "Success"})  # verify
        runner = Remediation(remediation=RemediationConfig(patch_reboot="NoReboot", patch_wait_seconds=120),
                             sessions=Partly(ssm=client))
        _, plan, outcome = runner.run("patch-instance", instance_id)
        stub.assert_no_pending_responses()
    assert plan.current[1] == "SSM-managed: agent 3.3.40 on Amazon Linux 2023, ping Online"
    assert plan.changes == ["Run AWS-RunPatchBaseline (Operation=Install, RebootOption=NoReboot) and wait up to 120s "
                            "for its result (no undo: patches stay installed)"]
    assert slept == [2.0, 4.0], "backoff doubles between polls"
    assert outcome.memory["command_id"] == "0b1c2d3e-aaaa-bbbb-cccc-111122223333"
    assert outcome.memory["status"] == "Success" and outcome.memory["output"] == "s3://out/patch.txt"
    assert outcome.checks == [("AWS-RunPatchBaseline finished with Success (command "
                               "0b1c2d3e-aaaa-bbbb-cccc-111122223333: Success)", True)]


def test_patch_instance_against_moto_run_command(moto_inprocess, monkeypatch):
    """moto runs SendCommand and answers GetCommandInvocation with Success at once; only
    DescribeInstanceInformation (not in moto) is answered here."""
    instance_id, _, _, _ = instance()
    client = boto3.client("ssm", region_name="us-east-1")
    client.meta.events.register("before-call.ssm.DescribeInstanceInformation",
                                lambda **_: (AWSResponse(None, 200, {}, None), ssm_info(instance_id)))
    monkeypatch.setattr(patch_instance, "_sleep", lambda s: pytest.fail("moto answers at once"))
    runner = Remediation(sessions=Partly(ssm=client))
    _, _, outcome = runner.run("patch-instance", instance_id)
    [sent] = boto3.client("ssm", region_name="us-east-1").list_commands()["Commands"]
    assert sent["DocumentName"] == "AWS-RunPatchBaseline" and sent["Parameters"]["Operation"] == ["Install"]
    assert outcome.memory["command_id"] == sent["CommandId"] and outcome.verified
    assert {"ssm:SendCommand", "ssm:GetCommandInvocation"} <= {c["call"] for c in runner.calls}


def test_patch_instance_waits_no_longer_than_configured(moto_inprocess, monkeypatch):
    instance_id, _, _, _ = instance()
    now = [0.0]
    monkeypatch.setattr(patch_instance, "_clock", lambda: now[0])
    monkeypatch.setattr(patch_instance, "_sleep", lambda s: now.__setitem__(0, now[0] + s))
    client = boto3.client("ssm", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("describe_instance_information", ssm_info(instance_id))
        stub.add_response("describe_instance_information", ssm_info(instance_id))
        stub.add_response("send_command", {"Command": {"CommandId": "0b1c2d3e-aaaa-bbbb-cccc-444455556666"}})
        for _ in range(5):
            stub.add_response("get_command_invocation", {"Status": "InProgress"})
        runner = Remediation(remediation=RemediationConfig(patch_wait_seconds=10), sessions=Partly(ssm=client))
        plan = runner.plan(runner.job("patch-instance", instance_id))
        outcome = runner.catalog.apply(Job("patch-instance", instance_id, {}, None, "us-east-1", 7, request_id=3,
                                           context=plan.facts), runner.calls.append)
    assert "still InProgress after 10s" in outcome.summary and not outcome.verified
    assert now[0] == 10.0, "2 + 4 + the 4 seconds left"


def test_an_instance_ssm_does_not_manage_is_refused(moto_inprocess):
    instance_id, _, _, _ = instance()
    client = boto3.client("ssm", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("describe_instance_information", {"InstanceInformationList": []})
        stub.add_response("describe_instance_information", ssm_info(instance_id, ping="ConnectionLost"))
        runner = Remediation(sessions=Partly(ssm=client))
        with pytest.raises(ActionFailed) as refused:
            runner.plan(runner.job("patch-instance", instance_id))
        assert refused.value.code == "NotSsmManaged"
        assert refused.value.message.startswith(f"{instance_id} is not managed by SSM (Systems Manager has no record")
        assert f"`/remediate replace-instance {instance_id}`" in refused.value.message
        with pytest.raises(ActionFailed, match="SSM agent is ConnectionLost"):
            runner.plan(runner.job("patch-instance", instance_id))


# ------------------------------------------------------------------ replace-instance
def web_profile(tagged=True):
    iam().create_role(RoleName="web-role", AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                      Tags=[{"Key": "firebreak:restorable", "Value": "true"}] if tagged else [])
    arn = iam().create_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Arn"]
    iam().add_role_to_instance_profile(InstanceProfileName="web", RoleName="web-role")
    return arn


def described(instance_id):
    return ec2().describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


@pytest.fixture
def no_waiting(monkeypatch):
    monkeypatch.setattr(replace_instance, "_sleep", lambda s: None)


def test_replace_instance_launches_a_clean_copy_where_the_original_served_and_undo(remediation, no_waiting):
    instance_id, vpc, subnet, groups = instance()
    tg = load_balanced(instance_id, vpc, subnet)
    profile = web_profile()
    ec2().associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Arn": profile})
    job, plan, outcome = remediation.run("replace-instance", instance_id)
    assert plan.current[1] == f"Security groups: {', '.join(groups)}"
    assert any(c.startswith(f"Launch a t3.micro from {described(instance_id)['ImageId']}") and "instance profile web"
               in c for c in plan.changes)
    assert "Register it in target group web" in plan.changes and "Attach it to Auto Scaling group web-asg" in plan.changes

    new = outcome.memory["instance"]
    data = described(new)
    assert data["State"]["Name"] == "running" and data["SubnetId"] == subnet
    assert sorted(g["GroupId"] for g in data["NetworkInterfaces"][0]["Groups"]) == sorted(groups)
    assert data["IamInstanceProfile"]["Arn"] == profile
    found = {t["Key"]: t["Value"] for t in data["Tags"]}
    assert found["Name"] == "<!channel> web-1" and found["firebreak:incident"] == "7"
    assert found["firebreak:request"] == "R3" and found["firebreak:managed"] == "replacement"
    assert sorted(targets(tg)) == sorted([instance_id, new]) and sorted(in_asg(new)) == ["web-asg"]
    assert described(instance_id)["State"]["Name"] == "running", "the original is left as it is"

    undo_plan, _ = remediation.undo(job, outcome)
    assert f"Terminate the replacement {new} (the original {instance_id} is untouched)" in undo_plan.changes
    assert described(new)["State"]["Name"] in ("shutting-down", "terminated")
    assert targets(tg) == [instance_id]


def test_replacing_an_isolated_instance_uses_the_groups_from_before_isolation(remediation, no_waiting):
    instance_id, vpc, subnet, groups = instance()
    tg = load_balanced(instance_id, vpc, subnet)
    isolation = remediation.apply(remediation.job("isolate-instance", instance_id))
    with pytest.raises(ActionFailed) as refused:  # isolated, and core has no memory of it
        remediation.plan(remediation.job("replace-instance", instance_id))
    assert refused.value.code == "IsolatedWithoutMemory"
    assert "will not copy the isolation group onto the replacement" in refused.value.message

    context = {"isolation": isolation.memory, "isolation_request": "C2"}
    _, plan, outcome = remediation.run("replace-instance", instance_id, context)
    assert plan.current[1] == f"Security groups: {', '.join(groups)} (from before isolation C2)"
    new = outcome.memory["instance"]
    assert sorted(g["GroupId"] for g in described(new)["NetworkInterfaces"][0]["Groups"]) == sorted(groups)
    assert targets(tg) == [new], "registered where the original was before isolation"
    assert in_asg(new) == ["web-asg"]


def test_replace_instance_from_a_snapshot_registers_an_ami(remediation, no_waiting):
    instance_id, _, _, _ = instance()
    volume = described(instance_id)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    snap = ec2().create_snapshot(VolumeId=volume)["SnapshotId"]
    job, plan, outcome = remediation.run("replace-instance", instance_id, **{"from": snap})
    assert plan.changes[0] == f"Register an AMI from {snap} (tagged firebreak:incident)"
    image = outcome.memory["image"]
    assert described(outcome.memory["instance"])["ImageId"] == image
    assert "ec2:RegisterImage" in {c["call"] for c in remediation.calls}
    remediation.undo(job, outcome)
    assert ec2().describe_images(ImageIds=[image])["Images"] == [] or \
        ec2().describe_images(ImageIds=[image])["Images"][0]["State"] != "available"
    assert ec2().describe_snapshots(SnapshotIds=[snap])["Snapshots"], "the snapshot is evidence: kept"


def test_replace_instance_refuses_a_role_it_may_not_pass(remediation):
    instance_id, _, _, _ = instance()
    ec2().associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Arn": web_profile(tagged=False)})
    with pytest.raises(ActionFailed) as refused:
        remediation.plan(remediation.job("replace-instance", instance_id))
    assert refused.value.code == "RoleNotRestorable" and "firebreak:restorable=true" in refused.value.message


def test_replace_instance_refuses_an_image_whose_owner_is_not_trusted_and_says_whose(moto_inprocess):
    """Issue 22, item 5: any AMI the account could see was accepted, its owner never shown.
    With remediation.image_owners empty only the account's own images pass; moto's images
    belong to Amazon's accounts (alias amazon), like a public image another account owns."""
    instance_id, _, _, _ = instance()
    image = ec2().describe_images(ImageIds=[described(instance_id)["ImageId"]])["Images"][0]
    strict = Remediation(remediation=RemediationConfig(image_owners=[]))
    with pytest.raises(ActionFailed) as refused:
        strict.plan(strict.job("replace-instance", instance_id))
    assert refused.value.code == "UntrustedImageOwner"
    assert f"belongs to {image['OwnerId']} (amazon)" in refused.value.message
    assert "neither this account (123456789012) nor in remediation.image_owners (none)" in refused.value.message
    assert not [c for c in strict.calls if c["call"] in ("ec2:RunInstances", "ec2:RegisterImage")]


def test_replace_instance_plan_shows_the_images_owner_and_creation_date(moto_inprocess, no_waiting):
    instance_id, _, _, _ = instance()
    volume = described(instance_id)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    snap = ec2().create_snapshot(VolumeId=volume)["SnapshotId"]
    own = ec2().register_image(Name="golden", RootDeviceName="/dev/xvda", BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap}}])["ImageId"]
    created = ec2().describe_images(ImageIds=[own])["Images"][0]["CreationDate"]
    strict = Remediation(remediation=RemediationConfig(image_owners=[]))
    plan = strict.plan(strict.job("replace-instance", instance_id, **{"from": own}))
    [launch] = [c for c in plan.changes if c.startswith("Launch a ")]
    assert f"{own} 'golden' (--from; owner 123456789012, created {created})" in launch
    shared = strict.plan(strict.job("replace-instance", instance_id, **{"from": snap}))
    assert "owner 123456789012, created " in shared.changes[1]
    amazon = Remediation()  # the shipped default trusts Amazon's own images
    default = amazon.plan(amazon.job("replace-instance", instance_id))
    assert any("(the original's AMI; owner " in c and "(amazon), created " in c for c in default.changes)


def test_image_owners_must_be_account_ids_or_amazons_aliases():
    from pydantic import ValidationError

    assert RemediationConfig().image_owners == ["amazon"]
    assert RemediationConfig(image_owners=["111122223333", "aws-marketplace"]).image_owners
    with pytest.raises(ValidationError, match="an owner is a 12-digit AWS account id"):
        RemediationConfig(image_owners=["self"])
