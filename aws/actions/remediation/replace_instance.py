"""replace-instance: launch a clean replacement of a compromised instance and put it where
the original served, without touching the original (it stays, isolated or not, as
evidence). The plan reads the original: subnet, security groups, instance profile, type,
key pair, tags, the target groups it is (or, before isolation, was) registered in and its
Auto Scaling group. When this incident isolated it, the groups and registrations come from
the isolation's memory (core hands it over); an instance in the isolation group with no
such memory is refused rather than have the isolation group copied.

Source: the original's AMI, or `--from ami-…`, or `--from snap-…` (an AMI is registered
from the snapshot as the root volume, with the original's root device name and
architecture). The replacement is tagged firebreak:incident/request and
firebreak:managed=replacement (the tag the IAM policy requires to terminate it), registered
in the same target groups and attached to the same Auto Scaling group. Apply launches
exactly what was approved (the launch travels in the plan's facts) with an idempotency token
of the request. Undo deregisters, detaches and terminates the replacement and deregisters
an AMI it registered (the snapshot is kept: evidence)."""

from __future__ import annotations

import time

from aws.actions import ec2_lookup
from aws.actions.base import TAG_INCIDENT, ActionContext, Checks, Steps, plan, tags
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed

TAG_MANAGED, REPLACEMENT = "firebreak:managed", "replacement"
RESTORABLE = "firebreak:restorable"
RUNNING_WAIT_SECONDS = 300
_sleep, _clock = time.sleep, time.monotonic  # tests replace these


def _original(ctx: ActionContext, instance: str) -> dict:
    ec2_lookup.instance(ctx, instance)  # a clear InvalidInstanceID.NotFound
    return ctx.call("ec2", "describe_instances", InstanceIds=[instance])["Reservations"][0]["Instances"][0]


def _isolation_groups(ctx: ActionContext, groups: list[str]) -> list[str]:
    """Those of `groups` that are Firebreak's isolation or pass-through groups."""
    if not groups:
        return []
    found = ctx.call("ec2", "describe_security_groups", GroupIds=groups)["SecurityGroups"]
    names = (ctx.config.isolation_group, f"{ctx.config.isolation_group}-pass-through",
             f"{ctx.config.isolation_group}-untrack")
    return [g["GroupId"] for g in found if g.get("GroupName") in names
            or {"Key": TAG_MANAGED, "Value": "isolation"} in g.get("Tags", [])
            or {"Key": TAG_MANAGED, "Value": "pass-through"} in g.get("Tags", [])]


def _primary(data: dict) -> dict:
    enis = sorted(data.get("NetworkInterfaces", []), key=lambda n: n.get("Attachment", {}).get("DeviceIndex", 0))
    if not enis:
        raise ActionFailed(f"{data['InstanceId']} has no network interface in a VPC; replace it by hand.", "NoVpc")
    return enis[0]


def _owned(ctx: ActionContext, what: str, owner: str | None, alias: str | None, created: str) -> str:
    """`what`'s owner and creation date for the plan; refused unless the account acted in or
    remediation.image_owners owns it (an attacker's shared or public image is not a clean start)."""
    allowed = {ctx.account, *ctx.remediation.image_owners}
    shown = f"owner {owner}{f' ({alias})' if alias else ''}, created {created or 'unknown'}"
    if owner not in allowed and alias not in allowed:
        raise ActionFailed(f"{what} belongs to {owner}{f' ({alias})' if alias else ''}, which is neither this "
                           f"account ({ctx.account}) nor in remediation.image_owners "
                           f"({', '.join(ctx.remediation.image_owners) or 'none'}): Firebreak launches replacements "
                           "only from images and snapshots of owners you trust. Name another with `--from`, or add "
                           "the owner to remediation.image_owners and to iam/firebreak-policy.json's ec2:Owner.",
                           "UntrustedImageOwner")
    return shown


def _source(ctx: ActionContext, data: dict) -> tuple[str | None, dict | None, str]:
    """(AMI id, or None with the RegisterImage parameters for a snapshot; description)."""
    wanted = ctx.job.options.get("from") or data["ImageId"]
    if wanted.startswith("snap-"):
        [snap] = ctx.call("ec2", "describe_snapshots", SnapshotIds=[wanted])["Snapshots"]
        owned = _owned(ctx, f"Snapshot {wanted}", snap.get("OwnerId"), snap.get("OwnerAlias"),
                       str(snap.get("StartTime") or ""))
        if snap.get("State") != "completed":
            raise ActionFailed(f"Snapshot {wanted} is {snap.get('State')}: wait until it is completed.",
                               "IncorrectState")
        root = data.get("RootDeviceName") or "/dev/xvda"
        register = {"Name": f"firebreak-{ctx.job.incident_id}-{data['InstanceId']}-{wanted}"[:128],
                    "Description": f"Firebreak replacement of {data['InstanceId']} from {wanted}",
                    "RootDeviceName": root, "Architecture": data.get("Architecture", "x86_64"),
                    "VirtualizationType": "hvm", "EnaSupport": True,
                    "BlockDeviceMappings": [{"DeviceName": root, "Ebs": {"SnapshotId": wanted,
                                                                         "DeleteOnTermination": True}}]}
        return None, register, (f"a new AMI registered from snapshot {wanted} ({snap.get('VolumeSize')} GiB; "
                                f"{owned}) as root {root}, {register['Architecture']}")
    images = ctx.call("ec2", "describe_images", ImageIds=[wanted])["Images"]
    if not images or images[0].get("State") != "available":
        raise ActionFailed(f"AMI {wanted} is not available any more; name another with `--from ami-…` or "
                           "`--from snap-…`.", "InvalidAMIID.Unavailable")
    image = images[0]
    owned = _owned(ctx, f"AMI {wanted}", image.get("OwnerId"), image.get("ImageOwnerAlias"),
                   image.get("CreationDate", ""))
    origin = "the original's AMI" if not ctx.job.options.get("from") else "--from"
    return wanted, None, f"{wanted} {image.get('Name', '')!r} ({origin}; {owned})"


def _profile(ctx: ActionContext, data: dict) -> str | None:
    """The instance profile's ARN, refused unless its role may be passed (tag firebreak:restorable=true)."""
    arn = (data.get("IamInstanceProfile") or {}).get("Arn")
    if not arn:
        return None
    name = arn.split("/")[-1]
    for role in ctx.call("iam", "get_instance_profile", InstanceProfileName=name)["InstanceProfile"].get("Roles", []):
        found = ctx.call("iam", "get_role", RoleName=role["RoleName"])["Role"]
        if {"Key": RESTORABLE, "Value": "true"} not in found.get("Tags", []):
            raise ActionFailed(f"The instance profile {name} holds role {role['RoleName']}, which is not tagged "
                               f"{RESTORABLE}=true, so Firebreak may not pass it to a new instance (iam/README.md: "
                               "PassOnlyRestorableInstanceRolesToEc2). Tag the role if it may be, or replace the "
                               "instance by hand.", "RoleNotRestorable")
    return arn


def _replacement_tags(ctx: ActionContext, data: dict) -> list[dict]:
    ours = tags(ctx) + [{"Key": TAG_MANAGED, "Value": REPLACEMENT},
                        {"Key": "firebreak:replaces", "Value": data["InstanceId"]}]
    kept = [t for t in data.get("Tags", []) if not t["Key"].startswith(("aws:", "firebreak:"))]
    return ours + kept[:50 - len(ours)]  # AWS allows 50 tags; Firebreak's come first


def _launch(ctx: ActionContext) -> dict:
    """Everything the replacement needs, read from the original (and the isolation memory)."""
    data, isolation = _original(ctx, ctx.job.target), ctx.job.context.get("isolation") or {}
    eni = _primary(data)
    before = (isolation.get("enis") or {}).get(eni["NetworkInterfaceId"])
    groups = before if before is not None else [g["GroupId"] for g in eni.get("Groups", [])]
    isolating = _isolation_groups(ctx, groups)
    if isolating:
        raise ActionFailed(f"{ctx.job.target} is in Firebreak's isolation group ({', '.join(isolating)}) and this "
                           "incident has no record of the groups it had before (isolated by another incident or by "
                           "hand); Firebreak will not copy the isolation group onto the replacement. Lift that "
                           "isolation first, or launch the replacement by hand.", "IsolatedWithoutMemory")
    image, register, source = _source(ctx, data)
    current_tgs = ec2_lookup.target_groups(ctx, data["InstanceId"])
    tgs = {t["arn"]: t for t in [*isolation.get("target_groups", []), *current_tgs]}
    return {"image": image, "register": register, "source": source, "type": data["InstanceType"],
            "subnet": eni["SubnetId"], "groups": groups, "groups_from": ctx.job.context.get("isolation_request"),
            "profile": _profile(ctx, data), "key_name": data.get("KeyName"), "tags": _replacement_tags(ctx, data),
            "target_groups": list(tgs.values()),
            "asg": isolation.get("asg") or ec2_lookup.auto_scaling_group(ctx, data["InstanceId"]),
            "other_enis": len(data.get("NetworkInterfaces", [])) - 1}


def _state(ctx: ActionContext, instance: str) -> str:
    found = ctx.call("ec2", "describe_instances", InstanceIds=[instance])["Reservations"]
    return found[0]["Instances"][0]["State"]["Name"] if found else "gone"


def _wait_running(ctx: ActionContext, instance: str) -> str:
    deadline, delay = _clock() + RUNNING_WAIT_SECONDS, 2.0
    while (state := _state(ctx, instance)) == "pending" and _clock() < deadline:
        _sleep(delay)
        delay = min(delay * 2, 15.0)
    return state


def _target(instance: str, tg: dict) -> dict:
    return {"Id": instance, **({"Port": tg["port"]} if tg.get("port") else {})}


def _registered(ctx: ActionContext, instance: str) -> set[str]:
    return {t["arn"] for t in ec2_lookup.target_groups(ctx, instance)}


class ReplaceInstance:
    spec = SPECS["replace-instance"]

    def plan(self, ctx: ActionContext) -> Plan:
        launch = _launch(ctx)
        data = _original(ctx, ctx.job.target)
        current = [f"Original {ctx.job.target} ({data['State']['Name']}, {launch['type']}) in {launch['subnet']}",
                   f"Security groups: {', '.join(launch['groups']) or 'none'}"
                   + (f" (from before isolation {launch['groups_from']})" if launch["groups_from"] else ""),
                   f"Instance profile: {launch['profile'] or 'none'}; key pair: {launch['key_name'] or 'none'}",
                   f"Target groups: {', '.join(t['arn'].split('/')[-2] for t in launch['target_groups']) or 'none'}; "
                   f"Auto Scaling group: {launch['asg'] or 'none'}"]
        changes = ([f"Register an AMI from {ctx.job.options['from']} (tagged {TAG_INCIDENT})"]
                   if launch["register"] else [])
        changes += [f"Launch a {launch['type']} from {launch['source']} in {launch['subnet']} with groups "
                    f"{', '.join(launch['groups']) or 'none'}"
                    + (f", instance profile {launch['profile'].split('/')[-1]}" if launch["profile"] else "")
                    + (f", key pair {launch['key_name']}" if launch["key_name"] else "")
                    + f", {len(launch['tags'])} tags (the original's, and {TAG_INCIDENT}, "
                      f"{TAG_MANAGED}={REPLACEMENT}); user data is not copied"]
        changes += [f"Register it in target group {t['arn'].split('/')[-2]}" for t in launch["target_groups"]]
        changes += [f"Attach it to Auto Scaling group {launch['asg']}"] if launch["asg"] else []
        changes += [f"Only the primary network interface is recreated ({launch['other_enis']} more on the original)"
                    ] if launch["other_enis"] else []
        changes += [f"The original {ctx.job.target} is left as it is (evidence): terminate it by hand when done"]
        return plan(ctx, current, changes, launch=launch, subnets=[launch["subnet"]])

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        launch = ctx.job.context.get("launch")
        if not launch:
            raise ActionFailed("The approved plan carries no launch; ask again.", "NoLaunchPlan")
        image, memory = launch["image"], {"image": None, "instance": None, "target_groups": launch["target_groups"],
                                          "asg": launch["asg"], "original": ctx.job.target}
        if launch["register"]:
            image = ctx.call("ec2", "register_image", **launch["register"], TagSpecifications=[
                {"ResourceType": "image", "Tags": tags(ctx) + [{"Key": TAG_MANAGED, "Value": REPLACEMENT}]}])["ImageId"]
            memory["image"] = image
            steps.did("register the AMI", lambda: ctx.call("ec2", "deregister_image", ImageId=image))
        params = {"ImageId": image, "InstanceType": launch["type"], "MinCount": 1, "MaxCount": 1,
                  "ClientToken": f"firebreak-{ctx.job.label}-{ctx.job.incident_id}"[:64],
                  "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": launch["subnet"], "Groups": launch["groups"]}],
                  "TagSpecifications": [{"ResourceType": "instance", "Tags": launch["tags"]}]}
        params.update({"IamInstanceProfile": {"Arn": launch["profile"]}} if launch["profile"] else {})
        params.update({"KeyName": launch["key_name"]} if launch["key_name"] else {})
        new = ctx.call("ec2", "run_instances", **params)["Instances"][0]["InstanceId"]
        memory["instance"] = new
        steps.did("launch the replacement", lambda: ctx.call("ec2", "terminate_instances", InstanceIds=[new]))
        state = _wait_running(ctx, new)
        if state != "running":
            raise ActionFailed(f"The replacement {new} is {state}, not running, after {RUNNING_WAIT_SECONDS}s.",
                               "IncorrectInstanceState")
        for tg in launch["target_groups"]:
            ctx.call("elbv2", "register_targets", TargetGroupArn=tg["arn"], Targets=[_target(new, tg)])
            steps.did("register", lambda tg=tg: ctx.call("elbv2", "deregister_targets", TargetGroupArn=tg["arn"],
                                                         Targets=[_target(new, tg)]))
        if launch["asg"]:
            ctx.call("autoscaling", "attach_instances", InstanceIds=[new], AutoScalingGroupName=launch["asg"])
        return f"Replacement {new} of {ctx.job.target} running" + (
            f", in {len(launch['target_groups'])} target group(s)" if launch["target_groups"] else ""), memory

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        new = memory["instance"]
        checks = [(f"{new} is running", _state(ctx, new) == "running")]
        registered = _registered(ctx, new)
        checks += [(f"{new} is registered in {t['arn'].split('/')[-2]}", t["arn"] in registered)
                   for t in memory["target_groups"]]
        if memory["asg"]:
            checks.append((f"{new} is in {memory['asg']}", ec2_lookup.auto_scaling_group(ctx, new) == memory["asg"]))
        return checks

    def undo_plan(self, ctx: ActionContext) -> Plan:
        memory = ctx.job.memory
        new = memory["instance"]
        changes = [f"Deregister {new} from {t['arn'].split('/')[-2]}" for t in memory["target_groups"]]
        changes += [f"Detach {new} from {memory['asg']} (desired capacity −1)"] if memory["asg"] else []
        changes += [f"Terminate the replacement {new} (the original {memory['original']} is untouched)"]
        changes += [f"Deregister the AMI {memory['image']} (its snapshot is kept)"] if memory["image"] else []
        return plan(ctx, [f"Replacement {new}: {_state(ctx, new)}"], changes)

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        memory = ctx.job.memory
        new = memory["instance"]
        for tg in memory["target_groups"]:
            ctx.call("elbv2", "deregister_targets", TargetGroupArn=tg["arn"], Targets=[_target(new, tg)])
            steps.did("deregister", lambda tg=tg: ctx.call("elbv2", "register_targets", TargetGroupArn=tg["arn"],
                                                           Targets=[_target(new, tg)]))
        if memory["asg"] and ec2_lookup.auto_scaling_group(ctx, new) == memory["asg"]:
            ctx.call("autoscaling", "detach_instances", InstanceIds=[new], AutoScalingGroupName=memory["asg"],
                     ShouldDecrementDesiredCapacity=True)
            steps.did("detach", lambda: ctx.call("autoscaling", "attach_instances", InstanceIds=[new],
                                                 AutoScalingGroupName=memory["asg"]))
        ctx.call("ec2", "terminate_instances", InstanceIds=[new])
        if memory["image"]:
            ctx.call("ec2", "deregister_image", ImageId=memory["image"])
        return f"Replacement {new} terminated", memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        new = memory["instance"]
        checks = [(f"{new} is terminated or terminating", _state(ctx, new) in ("shutting-down", "terminated", "gone"))]
        registered = _registered(ctx, new)
        return checks + [(f"{new} is out of {t['arn'].split('/')[-2]}", t["arn"] not in registered)
                         for t in memory["target_groups"]]
