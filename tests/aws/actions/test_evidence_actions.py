"""The /evidence actions against moto: plan (read-only, refuses without an Object Lock
COMPLIANCE bucket), apply, verify; what each reports for the chain-of-custody manifest."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import datetime, timezone

import boto3
import pytest

from aws.actions.registry import AwsCatalog
from aws.sessions import AwsSessions
from core.containment.catalog import Job
from core.containment.config import ContainmentConfig
from core.errors import UsageError
from core.evidence.config import EvidenceConfig
from tests.aws.actions.conftest import AWS
from tests.aws.actions.conftest import Runner as ActionRunner
from tests.support.containment import instance

pytestmark = pytest.mark.slow  # moto loads its EC2 images on first use (seconds)
BUCKET = "firebreak-evidence-test"


def shipped_document() -> str:
    """deploy/evidence-documents.yaml's memory document, as SSM would receive it."""
    from cfnlint.decode import cfn_yaml

    from tests.conftest import REPO

    template = cfn_yaml.loads((REPO / "deploy" / "evidence-documents.yaml").read_text(encoding="utf-8"))
    content = template["Resources"]["CollectMemory"]["Properties"]["Content"]
    [step] = content["mainSteps"]  # the template's !Sub of AvmlSha256, as CloudFormation resolves it
    step["inputs"]["runCommand"] = [line["Fn::Sub"].replace("${AvmlSha256}", "0" * 64) if isinstance(line, dict)
                                    else line for line in step["inputs"]["runCommand"]]
    return json.dumps(content)


def memory_document(name="firebreak-CollectMemory") -> str:
    boto3.client("ssm", region_name="us-east-1").create_document(
        Name=name, DocumentType="Command", DocumentFormat="JSON", Content=shipped_document())
    return name
FORENSICS = "111122223333"


def s3():
    return boto3.client("s3", region_name="us-east-1")


def ec2():
    return boto3.client("ec2", region_name="us-east-1")


def evidence_bucket(name=BUCKET, mode="COMPLIANCE"):
    s3().create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    if mode:
        s3().put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, "Days": 365}}})
    return name


class Runner(ActionRunner):
    """The actions' runner with an `evidence:` section (the test bucket, short waits)."""

    def __init__(self, **evidence):
        super().__init__()
        self.catalog = AwsCatalog(AwsSessions(AWS), ContainmentConfig(),
                                  evidence=EvidenceConfig(**{"bucket": BUCKET, "wait_seconds": 2, **evidence}))


def read(item):
    d = item["detail"]
    return s3().get_object(Bucket=d["bucket"], Key=d["key"], VersionId=d["version_id"])["Body"].read()


def test_collect_instance_data_writes_hashed_json_to_the_locked_bucket(moto_inprocess):
    evidence_bucket()
    instance_id, vpc, _, groups = instance()
    iam = boto3.client("iam")
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web-role")
    ec2().associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Name": "web"})
    runner = Runner()
    job = runner.job("collect-instance-data", instance_id)

    plan = runner.plan(job)
    assert any("Object Lock COMPLIANCE" in line for line in plan.current)
    assert f"s3://{BUCKET}/incident-7/E3/instance-data-{instance_id}.json" in plan.changes[0]
    assert s3().list_object_versions(Bucket=BUCKET).get("Versions") is None, "planning writes nothing"

    outcome = runner.apply(job)
    [item] = outcome.memory["evidence"]
    body = read(item)
    assert item["kind"] == "object" and item["sha256"] == hashlib.sha256(body).hexdigest()
    assert item["size"] == len(body) and item["detail"]["version_id"]
    assert item["location"] == (f"s3://{BUCKET}/incident-7/E3/instance-data-{instance_id}.json"
                                f"?versionId={item['detail']['version_id']}")
    document = json.loads(body)
    assert document["instance"]["InstanceId"] == instance_id
    assert sorted(g["GroupId"] for g in document["security_groups"]) == sorted(groups)
    assert document["instance_profile"]["Roles"][0]["RoleName"] == "web-role"
    assert document["tags"]["Name"] == "<!channel> web-1" and "console_output" in document
    calls = {c["call"] for c in runner.calls}
    assert {"ec2:GetConsoleOutput", "iam:GetInstanceProfile", "s3:PutObject",
            "s3:GetObjectLockConfiguration"} <= calls
    assert all(c["request_id"] for c in runner.calls), "every call is audited with its request id"


@pytest.mark.parametrize("mode", [None, "GOVERNANCE"])
def test_a_bucket_without_compliance_object_lock_is_refused_in_the_plan(moto_inprocess, mode):
    if mode:
        evidence_bucket(mode=mode)
    else:
        s3().create_bucket(Bucket=BUCKET)
    instance_id, *_ = instance()
    runner = Runner()
    with pytest.raises(UsageError) as refused:
        runner.plan(runner.job("collect-instance-data", instance_id))
    assert BUCKET in refused.value.message and "COMPLIANCE" in refused.value.message


def test_no_bucket_configured_is_refused(moto_inprocess):
    instance_id, *_ = instance()
    runner = Runner(bucket=None)
    with pytest.raises(UsageError) as refused:
        runner.plan(runner.job("collect-logs", instance_id))
    assert "evidence.bucket" in refused.value.message


def snapshot_ids():
    return {s["SnapshotId"] for s in ec2().describe_snapshots(OwnerIds=["self"])["Snapshots"]}


def encrypted_instance():
    image = ec2().describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    found = ec2().run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", BlockDeviceMappings=[
        {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "Encrypted": True}}])
    return found["Instances"][0]["InstanceId"]


def test_collect_disk_snapshots_copies_encrypted_and_shares_only_with_the_forensics_account(moto_inprocess):
    instance_id = encrypted_instance()
    runner = Runner(kms_key_id="alias/forensics", forensics_account=FORENSICS)
    job, before = runner.job("collect-disk", instance_id, share=FORENSICS), snapshot_ids()
    plan = runner.plan(job)
    assert any("encrypted with alias/forensics" in c for c in plan.changes)
    assert any(f"with account {FORENSICS}" in c for c in plan.changes)
    assert snapshot_ids() == before, "planning takes no snapshot"

    outcome = runner.apply(job)
    [original, copy] = outcome.memory["evidence"]
    assert original["kind"] == copy["kind"] == "snapshot" and original["sha256"] is None
    assert "no byte hash" in original["note"]
    assert copy["detail"]["copy_of"] == original["detail"]["snapshot_id"]
    [shown] = ec2().describe_snapshots(SnapshotIds=[copy["detail"]["snapshot_id"]])["Snapshots"]
    assert shown["Encrypted"] and shown["KmsKeyId"] == "alias/forensics"
    tags = {t["Key"]: t["Value"] for t in shown["Tags"]}
    assert tags["firebreak:incident"] == "7" and tags["firebreak:request"] == "E3"
    assert original["detail"]["tags"]["firebreak:request"] == "E3"
    permitted = ec2().describe_snapshot_attribute(SnapshotId=copy["detail"]["snapshot_id"],
                                                  Attribute="createVolumePermission")["CreateVolumePermissions"]
    assert permitted == [{"UserId": FORENSICS}]
    assert outcome.memory["shared"] == [copy["detail"]["snapshot_id"]], "the default-key original is not shared"


def test_collect_disk_refuses_to_share_with_any_other_account(moto_inprocess):
    instance_id, *_ = instance()
    runner, before = Runner(forensics_account=FORENSICS), snapshot_ids()
    with pytest.raises(UsageError) as refused:
        runner.plan(runner.job("collect-disk", instance_id, share="999999999999"))
    assert "999999999999" in refused.value.message and FORENSICS in refused.value.message
    with pytest.raises(Exception):
        runner.catalog.apply(runner.job("collect-disk", instance_id, share="999999999999"), runner.calls.append)
    assert snapshot_ids() == before


def test_collect_memory_runs_the_ssm_command_and_records_its_output(moto_inprocess):
    evidence_bucket()
    instance_id, *_ = instance()
    refused = Runner()
    with pytest.raises(UsageError) as caught:
        refused.plan(refused.job("collect-memory", instance_id))
    assert "evidence.memory_document" in caught.value.message and "firebreak-*" in caught.value.message

    runner = Runner(memory_document=memory_document())
    job = runner.job("collect-memory", instance_id)
    plan = runner.plan(job)
    assert any("SSM document firebreak-CollectMemory" in c and f"Prefix=incident-7/E3/memory-{instance_id}" in c
               for c in plan.changes), plan.changes
    # What AVML would have written (moto's SSM runs nothing on the instance).
    image = b"LiME memory image"
    s3().put_object(Bucket=BUCKET, Key=f"incident-7/E3/memory-{instance_id}/memory.lime", Body=image,
                    ChecksumAlgorithm="SHA256")
    outcome = runner.apply(job)
    ssm_item, image_item = outcome.memory["evidence"]
    assert ssm_item["kind"] == "ssm-output" and ssm_item["detail"]["status"] == "Success"
    assert ssm_item["location"] == f"s3://{BUCKET}/incident-7/E3/memory-{instance_id}/"
    assert image_item["sha256"] == hashlib.sha256(image).hexdigest() and image_item["size"] == len(image)
    sent = boto3.client("ssm", region_name="us-east-1").list_commands(CommandId=ssm_item["detail"]["command_id"])
    [shown] = sent["Commands"]
    assert shown["DocumentName"] == "firebreak-CollectMemory"
    assert shown["Parameters"] == {"Bucket": [BUCKET], "Prefix": [f"incident-7/E3/memory-{instance_id}"]}, \
        "Firebreak sends only where the image goes, never command text"
    assert {"ssm:SendCommand", "ssm:GetCommandInvocation"} <= {c["call"] for c in runner.calls}


def _put_log(bucket, key, text):
    s3().put_object(Bucket=bucket, Key=key, Body=gzip.compress(text.encode()))


def test_collect_logs_copies_cloudtrail_flow_and_access_logs_of_the_window(moto_inprocess):
    evidence_bucket()
    now = datetime.now(timezone.utc)
    s3().create_bucket(Bucket="org-trail")
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(Name="main", S3BucketName="org-trail",
                                                                    S3KeyPrefix="ct")
    day = f"ct/AWSLogs/123456789012/CloudTrail/us-east-1/{now:%Y/%m/%d}/"
    recent = f"{day}123456789012_CloudTrail_us-east-1_{now:%Y%m%dT%H%M}Z_abc.json.gz"
    old = f"{day}123456789012_CloudTrail_us-east-1_{now:%Y%m%d}T0000Z_old.json.gz" if now.hour >= 3 else None
    _put_log("org-trail", recent, '{"Records": []}')
    if old:
        _put_log("org-trail", old, '{"Records": []}')

    instance_id, vpc, *_ = instance()
    s3().create_bucket(Bucket="flow-logs")
    ec2().create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
                           LogDestination="arn:aws:s3:::flow-logs")  # moto 5.2 refuses a /prefix here
    flow_key = (f"AWSLogs/123456789012/vpcflowlogs/us-east-1/{now:%Y/%m/%d}/"
                f"123456789012_vpcflowlogs_us-east-1_fl-1_{now:%Y%m%dT%H%M}Z_x.log.gz")
    _put_log("flow-logs", flow_key, "2 123456789012 eni-1 10.0.0.1 10.0.0.2")

    runner = Runner()
    job = runner.job("collect-logs", instance_id, hours="2")
    plan = runner.plan(job)
    assert any(line.startswith("CloudTrail (main): 1 object") for line in plan.current), plan.current
    assert any(line.startswith("VPC flow logs") for line in plan.current), plan.current
    outcome = runner.apply(job)
    sources = sorted(i["source"] for i in outcome.memory["evidence"])
    assert sources == sorted([f"s3://org-trail/{recent}", f"s3://flow-logs/{flow_key}"])
    for item in outcome.memory["evidence"]:
        assert hashlib.sha256(read(item)).hexdigest() == item["sha256"]
        assert item["detail"]["key"].startswith("incident-7/E3/logs/")

    # A bucket: its server access logs (simple key format) within the window.
    s3().create_bucket(Bucket="exposed-data")
    s3().create_bucket(Bucket="access-logs")
    s3().put_bucket_acl(Bucket="access-logs", GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                        GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
    s3().put_bucket_logging(Bucket="exposed-data", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "access-logs", "TargetPrefix": "exposed/"}})
    access = f"exposed/{now:%Y-%m-%d-%H-%M-%S}-ABCDEF"
    s3().put_object(Bucket="access-logs", Key=access, Body=b"REST.GET.OBJECT secrets.csv")
    s3().put_object(Bucket="access-logs", Key="exposed/2001-01-01-00-00-00-OLD", Body=b"old")
    bucket_job = Job("collect-logs", "exposed-data", {"hours": "1"}, None, "us-east-1", 7, request_id=4)
    outcome = runner.apply(bucket_job)
    sources = {i["source"] for i in outcome.memory["evidence"]}
    assert f"s3://access-logs/{access}" in sources and "s3://access-logs/exposed/2001-01-01-00-00-00-OLD" not in sources


def test_collect_logs_of_a_principal_with_no_trail_collects_nothing_and_says_so(moto_inprocess):
    evidence_bucket()
    runner = Runner()
    plan = runner.plan(runner.job("collect-logs", "arn:aws:iam::123456789012:user/intern"))
    assert any("No CloudTrail trail" in line for line in plan.current)
    assert runner.apply(runner.job("collect-logs", "intern")).memory["evidence"] == []
    with pytest.raises(UsageError):
        runner.plan(runner.job("collect-logs", "intern", hours="0"))


def test_collect_disk_of_an_unencrypted_volume_shares_the_snapshot_itself(moto_inprocess):
    instance_id, *_ = instance()
    runner = Runner(forensics_account="222222222222", share_accounts=[FORENSICS])
    outcome = runner.apply(runner.job("collect-disk", instance_id, share=FORENSICS))
    [item] = outcome.memory["evidence"]
    snapshot = item["detail"]["snapshot_id"]
    assert outcome.memory["copies"] == {} and outcome.memory["shared"] == [snapshot]
    assert item["detail"]["shared_with"] == FORENSICS and item["detail"]["tags"]["firebreak:incident"] == "7"
    permitted = ec2().describe_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission")
    assert permitted["CreateVolumePermissions"] == [{"UserId": FORENSICS}]
    assert "ec2:CopySnapshot" not in {c["call"] for c in runner.calls}


def test_collect_logs_finds_an_organization_trails_files_under_the_organization_id(moto_inprocess):
    evidence_bucket()
    now = datetime.now(timezone.utc)
    s3().create_bucket(Bucket="org-trail-logs")
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(
        Name="org", S3BucketName="org-trail-logs", IsOrganizationTrail=True, IsMultiRegionTrail=True)
    key = (f"AWSLogs/o-abc123/123456789012/CloudTrail/us-east-1/{now:%Y/%m/%d}/"
           f"123456789012_CloudTrail_us-east-1_{now:%Y%m%dT%H%M}Z_org.json.gz")
    _put_log("org-trail-logs", key, '{"Records": []}')
    runner = Runner()
    outcome = runner.apply(runner.job("collect-logs", "arn:aws:iam::123456789012:role/app", hours="1"))
    assert [i["source"] for i in outcome.memory["evidence"]] == [f"s3://org-trail-logs/{key}"]


def test_a_bucket_that_keeps_evidence_for_less_than_the_minimum_is_refused(moto_inprocess):
    """Issue 22, item 15: a COMPLIANCE retention of one day was accepted. The minimum is
    evidence.min_retention_days (365 by default); lowering it is a deliberate setting."""
    s3().create_bucket(Bucket="firebreak-evidence-short", ObjectLockEnabledForBucket=True)
    s3().put_object_lock_configuration(Bucket="firebreak-evidence-short", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    instance_id, *_ = instance()
    runner = Runner(bucket="firebreak-evidence-short")
    with pytest.raises(UsageError) as refused:
        runner.plan(runner.job("collect-instance-data", instance_id))
    assert ("keeps objects for 1 day(s)" in refused.value.message
            and "evidence.min_retention_days asks for at least 365 days" in refused.value.message)
    lowered = Runner(bucket="firebreak-evidence-short", min_retention_days=1)
    assert "Object Lock COMPLIANCE, 1 day(s) default retention" in lowered.plan(
        lowered.job("collect-instance-data", instance_id)).current[0]
    s3().put_object_lock_configuration(Bucket="firebreak-evidence-short", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}})
    assert "1 year(s)" in runner.plan(runner.job("collect-instance-data", instance_id)).current[0]


def test_every_call_on_the_evidence_bucket_names_the_expected_owner(moto_inprocess, monkeypatch):
    """Issue 22, item 15: S3 calls on the evidence bucket did not pass ExpectedBucketOwner, so a
    bucket of that name in another account would take the evidence. moto ignores the
    parameter, so the test records what Firebreak sends and checks it against botocore's S3
    model: every call naming the evidence bucket carries the owner (the account acted in, or
    evidence.bucket_owner)."""
    import botocore.session

    from aws.actions.base import ActionContext

    sent = []
    real = ActionContext.call

    def recording(self, service, operation, **params):
        sent.append((service, operation, params))
        return real(self, service, operation, **params)

    monkeypatch.setattr(ActionContext, "call", recording)
    evidence_bucket()
    memory_document()
    instance_id, *_ = instance()
    for runner, owner in ((Runner(memory_document="firebreak-CollectMemory"), "123456789012"),
                          (Runner(memory_document="firebreak-CollectMemory", bucket_owner="444455556666"),
                           "444455556666")):
        sent.clear()
        for action in ("collect-instance-data", "collect-memory"):
            job = runner.job(action, instance_id)
            runner.plan(job)
            if owner == "123456789012":
                runner.apply(job)
        on_bucket = [(op, p) for service, op, p in sent if service == "s3" and p.get("Bucket") == BUCKET]
        assert {op for op, _ in on_bucket} >= ({"get_object_lock_configuration", "put_object",
                                                "list_object_versions"} if owner == "123456789012"
                                               else {"get_object_lock_configuration"})
        model = botocore.session.get_session().get_service_model("s3")
        for op, params in on_bucket:
            shape = model.operation_model("".join(w.title() for w in op.split("_"))).input_shape
            assert "ExpectedBucketOwner" in shape.members, op
            assert params.get("ExpectedBucketOwner") == owner, (op, params)


def _trail_with_logs(bucket, sizes):
    """A trail delivering to `bucket`, with one log file of each size in the last hour."""
    now = datetime.now(timezone.utc)
    s3().create_bucket(Bucket=bucket)
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(Name="main", S3BucketName=bucket)
    day = f"AWSLogs/123456789012/CloudTrail/us-east-1/{now:%Y/%m/%d}/"
    keys = []
    for n, size in enumerate(sizes):
        key = f"{day}123456789012_CloudTrail_us-east-1_{now:%Y%m%dT%H%M}Z_{n}.json.gz"
        s3().put_object(Bucket=bucket, Key=key, Body=b"x" * size)
        keys.append(key)
    return keys


def test_collect_logs_says_where_each_location_was_learnt_and_flags_one_outside_the_log_archive(moto_inprocess):
    """Issue 22 item 12: the target account chooses where its logs go; an intruder there can
    point a trail at a bucket of their own. The plan and each manifest entry say where the
    location came from, and a bucket outside evidence.log_archive_buckets is flagged."""
    evidence_bucket()
    [key] = _trail_with_logs("attacker-chosen-logs", [100])
    runner = Runner(log_archive_buckets=["org-log-archive"])
    job = runner.job("collect-logs", "arn:aws:iam::123456789012:user/intern", hours="1")
    plan = runner.plan(job)
    trail_arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/main"
    assert any(line.startswith("CloudTrail (main): 1 object(s) in s3://attacker-chosen-logs/, learnt from trail "
                               + trail_arn) for line in plan.current), plan.current
    assert any(":warning: s3://attacker-chosen-logs/ is outside evidence.log_archive_buckets" in line
               for line in plan.current), plan.current
    assert plan.facts["locations"][0]["in_log_archive"] is False
    [item] = runner.apply(job).memory["evidence"]
    assert item["source"] == f"s3://attacker-chosen-logs/{key}"
    assert item["detail"]["in_log_archive"] is False and trail_arn in item["detail"]["origin"]
    assert "outside evidence.log_archive_buckets" in item["note"]

    trusted = Runner(log_archive_buckets=["attacker-chosen-logs"]).plan(job)
    assert not any(":warning:" in line for line in trusted.current)


def test_collect_logs_streams_and_skips_an_object_over_the_size_cap(moto_inprocess):
    evidence_bucket()
    small, large = _trail_with_logs("org-log-archive", [2000, 9000])
    runner = Runner(log_archive_buckets=["org-log-archive"], max_log_object_bytes=4096)
    job = runner.job("collect-logs", "arn:aws:iam::123456789012:user/intern", hours="1")
    assert any("1 object(s) larger than evidence.max_log_object_bytes (4096 bytes)" in line
               for line in runner.plan(job).current)
    outcome = runner.apply(job)
    [item] = outcome.memory["evidence"]
    assert item["source"].endswith(small) and read(item) == b"x" * 2000
    assert item["sha256"] == hashlib.sha256(b"x" * 2000).hexdigest()
    [skipped] = outcome.memory["skipped"]
    assert skipped["source"].endswith(large) and skipped["size"] == 9000 and "larger than 4096" in skipped["reason"]
    assert "1 skipped" in outcome.summary
    assert not [k for k in s3().list_objects_v2(Bucket=BUCKET).get("Contents", []) if k["Key"].endswith(large)]
