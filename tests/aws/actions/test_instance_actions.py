"""isolate-instance, snapshot-instance and revoke-instance-role against moto: the state
before, after and after undo, as AWS itself reports it."""

import boto3
import pytest

from core.containment.model import ActionFailed
from aws.errors import AwsActionError
from tests.support.containment import eni_groups, instance

pytestmark = pytest.mark.slow  # moto loads its EC2 images on first use (seconds)


def ec2():
    return boto3.client("ec2", region_name="us-east-1")


def protected(instance_id):
    return ec2().describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination")[
        "DisableApiTermination"]["Value"]


def load_balanced(instance_id, vpc, subnet):
    """Put the instance in an Auto Scaling group and a target group."""
    elb = boto3.client("elbv2", region_name="us-east-1")
    tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")[
        "TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance_id, "Port": 80}])
    asg = boto3.client("autoscaling", region_name="us-east-1")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro")
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", LaunchConfigurationName="lc", MinSize=0, MaxSize=3,
                                  DesiredCapacity=0, VPCZoneIdentifier=subnet)
    asg.attach_instances(InstanceIds=[instance_id], AutoScalingGroupName="web-asg")
    return tg


def in_asg(instance_id):
    found = boto3.client("autoscaling", region_name="us-east-1").describe_auto_scaling_instances(
        InstanceIds=[instance_id])["AutoScalingInstances"]
    return [i["AutoScalingGroupName"] for i in found]


def targets(tg):
    health = boto3.client("elbv2", region_name="us-east-1").describe_target_health(TargetGroupArn=tg)
    return [h["Target"]["Id"] for h in health["TargetHealthDescriptions"]
            if h["TargetHealth"]["State"] != "draining"]


def test_isolate_instance_and_undo(runner):
    instance_id, vpc, subnet, groups = instance()
    tg = load_balanced(instance_id, vpc, subnet)
    before = eni_groups(instance_id)
    assert list(before.values()) == [sorted(groups)] and not protected(instance_id)

    job = runner.job("isolate-instance", instance_id, snapshot=True)
    plan = runner.plan(job)
    assert any("Detach from Auto Scaling group web-asg" in c for c in plan.changes)
    assert any("Deregister from target group web" in c for c in plan.changes)
    assert plan.facts["subnets"] == [subnet] and plan.account == "123456789012"
    assert eni_groups(instance_id) == before, "planning must not change anything"

    outcome = runner.apply(job)
    [isolation] = outcome.memory["isolation"].values()
    assert list(eni_groups(instance_id).values()) == [[isolation]]
    group = ec2().describe_security_groups(GroupIds=[isolation])["SecurityGroups"][0]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    assert protected(instance_id) and in_asg(instance_id) == [] and targets(tg) == []
    tags = {t["Key"]: t["Value"] for t in ec2().describe_tags(
        Filters=[{"Name": "resource-id", "Values": [instance_id]}])["Tags"]}
    assert tags["firebreak:incident"] == "7" and tags["firebreak:request"] == "C3"
    [snapshot] = ec2().describe_snapshots(SnapshotIds=outcome.memory["snapshots"])["Snapshots"]
    assert {"Key": "firebreak:device", "Value": "/dev/sda1"} in snapshot["Tags"]
    calls = {c["call"] for c in runner.calls}
    assert {"ec2:ModifyNetworkInterfaceAttribute", "autoscaling:DetachInstances"} <= calls
    assert all(c["request_id"] for c in runner.calls)

    plan, _ = runner.undo(job, outcome)
    assert any("back to" in c for c in plan.changes)
    assert eni_groups(instance_id) == before
    assert not protected(instance_id) and in_asg(instance_id) == ["web-asg"] and targets(tg) == [instance_id]


def test_isolation_groups_are_reused_per_vpc(runner):
    first, _, _, _ = instance()
    runner.apply(runner.job("isolate-instance", first))
    groups = ec2().describe_security_groups(Filters=[{"Name": "group-name", "Values": ["firebreak-isolation"]}])
    assert len(groups["SecurityGroups"]) == 1


def test_isolation_groups_are_created_tagged_and_a_look_alike_is_never_used(runner):
    """Firebreak's policy lets it change rules only of groups tagged firebreak:managed, and
    set that tag only at creation: a same-named group someone else made is not touched."""
    first, vpc, _, _ = instance()
    runner.apply(runner.job("isolate-instance", first))
    [group] = ec2().describe_security_groups(Filters=[{"Name": "group-name", "Values": ["firebreak-isolation"]}])[
        "SecurityGroups"]
    assert {"Key": "firebreak:managed", "Value": "isolation"} in group["Tags"]

    second, other_vpc, _, _ = instance()
    ec2().create_security_group(GroupName="firebreak-isolation", Description="not ours", VpcId=other_vpc)
    before = eni_groups(second)
    with pytest.raises(ActionFailed) as failed:
        runner.catalog.apply(runner.job("isolate-instance", second), runner.calls.append)
    assert failed.value.code == "InvalidGroup.Duplicate" and "Firebreak did not create" in failed.value.message
    assert eni_groups(second) == before and not protected(second)


def test_a_failure_part_way_rolls_back_what_was_done(runner, monkeypatch):
    """The move into isolation is refused after the pass-through: everything is put back."""
    from aws.actions import isolate_instance

    instance_id, _, _, _ = instance()
    before = eni_groups(instance_id)
    real, moves = isolate_instance._set_groups, []

    def refuse_second_move(ctx, eni, groups):
        moves.append(groups)
        if len(moves) == 2:  # AWS refuses with a real error code
            ctx.call("ec2", "describe_instances", InstanceIds=["i-0000000000000000f"])
        return real(ctx, eni, groups)

    monkeypatch.setattr(isolate_instance, "_set_groups", refuse_second_move)
    with pytest.raises(ActionFailed) as failed:
        runner.catalog.apply(runner.job("isolate-instance", instance_id), runner.calls.append)
    assert failed.value.code == "InvalidInstanceID.NotFound" and failed.value.rolled_back
    assert "2 step(s) done before the failure were rolled back" in failed.value.message
    assert eni_groups(instance_id) == before and not protected(instance_id)


def test_a_group_lookup_failing_beside_termination_protection_turns_protection_off_again(runner, monkeypatch):
    """Protection and the isolation groups are set up at the same time: when the groups
    cannot be had, the protection that went on meanwhile is rolled back with the rest."""
    from aws.actions import isolation_groups

    instance_id, _, _, _ = instance()
    before = eni_groups(instance_id)

    def refused(ctx, vpc):
        ctx.call("ec2", "describe_security_groups", GroupIds=["sg-0000000000000dead"])

    monkeypatch.setattr(isolation_groups, "pass_through", refused)
    with pytest.raises(ActionFailed) as failed:
        runner.catalog.apply(runner.job("isolate-instance", instance_id), runner.calls.append)
    assert failed.value.code == "InvalidGroup.NotFound" and failed.value.rolled_back
    assert "1 step(s) done before the failure were rolled back" in failed.value.message
    assert eni_groups(instance_id) == before and not protected(instance_id)


def test_unknown_instance_names_the_aws_error(runner):
    with pytest.raises(AwsActionError) as caught:
        runner.plan(runner.job("isolate-instance", "i-0123456789abcdef0"))
    assert caught.value.code == "InvalidInstanceID.NotFound"


def test_snapshot_instance(runner):
    instance_id, _, _, _ = instance()
    plan = runner.plan(runner.job("snapshot-instance", instance_id))
    assert plan.changes == ["Snapshot " + next(iter(_volumes(instance_id))) + " (/dev/sda1)"]
    outcome = runner.apply(runner.job("snapshot-instance", instance_id))
    [snapshot] = ec2().describe_snapshots(SnapshotIds=outcome.memory["snapshots"])["Snapshots"]
    tags = {t["Key"]: t["Value"] for t in snapshot["Tags"]}
    assert tags == {"firebreak:incident": "7", "firebreak:request": "C3", "firebreak:volume": snapshot["VolumeId"],
                    "firebreak:device": "/dev/sda1", "firebreak:instance": instance_id}


def _volumes(instance_id):
    found = ec2().describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return [m["Ebs"]["VolumeId"] for m in found["BlockDeviceMappings"]]


def test_revoke_instance_role_and_undo(runner):
    instance_id, _, _, _ = instance()
    iam = boto3.client("iam")
    profile = iam.create_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Arn"]
    ec2().associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Arn": profile})

    def associated():
        found = ec2().describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [instance_id]}])["IamInstanceProfileAssociations"]
        return [a["IamInstanceProfile"]["Arn"] for a in found if a["State"] == "associated"]

    job = runner.job("revoke-instance-role", instance_id)
    assert runner.plan(job).changes == [f"Disassociate {profile}"]
    outcome = runner.apply(job)
    assert associated() == []
    runner.undo(job, outcome)
    assert associated() == [profile]


def test_an_isolated_instance_is_already_done(runner):
    """Issue 11 item 4: a second isolation proposes nothing (no approval, nothing to run)."""
    instance_id, _, _, _ = instance()
    job = runner.job("isolate-instance", instance_id)
    assert not runner.plan(job).already_done
    runner.apply(job)
    again = runner.plan(job)
    assert again.already_done and again.changes == ["Nothing: every network interface is already in the "
                                                    "isolation group"]


def test_an_undo_never_puts_an_instance_back_into_firebreaks_isolation(runner):
    """Issue 23 item 1: an isolation that ran on an already isolated instance (C11 after C10,
    before the duplicate refusal existed) recorded the isolation group as the "original"; its
    undo leaves that interface alone and says so, instead of "restored to its original groups"."""
    instance_id, _, _, groups = instance()
    first = runner.job("isolate-instance", instance_id)
    done = runner.apply(first)
    [isolation] = done.memory["isolation"].values()
    second = runner.job("isolate-instance", instance_id, snapshot=True)  # --snapshot: planned as not done
    again = runner.apply(second)
    assert list(again.memory["enis"].values()) == [[isolation]], "the state it found was Firebreak's own"

    plan, undone = runner.undo(second, again)
    assert any("left as it is" in c and "Firebreak's own isolation" in c for c in plan.changes)
    assert "left in isolation" in undone.summary and "restored to its original" not in undone.summary
    assert list(eni_groups(instance_id).values()) == [[isolation]], "still isolated: nothing put back"
    runner.undo(first, done)
    assert list(eni_groups(instance_id).values()) == [sorted(groups)], "the first undo restores the real original"
