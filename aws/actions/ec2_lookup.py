"""Read-only facts about an instance that several actions need: its ENIs and their
groups, volumes, termination protection, Auto Scaling group and target groups."""

from __future__ import annotations

from dataclasses import dataclass

from aws.actions.base import ActionContext
from aws.errors import AwsActionError, AwsFailure


@dataclass(frozen=True)
class InstanceFacts:
    id: str
    state: str
    name: str
    vpc: str
    subnets: list[str]
    enis: dict[str, list[str]]  # ENI id -> security group ids
    eni_vpcs: dict[str, str]  # ENI id -> VPC id
    volumes: dict[str, str]  # volume id -> device name
    tags: dict[str, str]


def instance(ctx: ActionContext, instance_id: str) -> InstanceFacts:
    found = ctx.call("ec2", "describe_instances", InstanceIds=[instance_id])["Reservations"]
    if not found or not found[0]["Instances"]:
        raise AwsActionError(AwsFailure("InvalidInstanceID.NotFound",
                                        f"AWS has no instance {instance_id} in {ctx.job.region}."))
    data = found[0]["Instances"][0]
    tags = {t["Key"]: t["Value"] for t in data.get("Tags", [])}
    enis = {n["NetworkInterfaceId"]: [g["GroupId"] for g in n.get("Groups", [])]
            for n in data.get("NetworkInterfaces", [])}
    return InstanceFacts(
        id=instance_id, state=data["State"]["Name"], name=tags.get("Name", ""), vpc=data.get("VpcId", ""),
        subnets=list(dict.fromkeys(n["SubnetId"] for n in data.get("NetworkInterfaces", []) if n.get("SubnetId"))),
        enis=enis, eni_vpcs={n["NetworkInterfaceId"]: n.get("VpcId", data.get("VpcId", ""))
                             for n in data.get("NetworkInterfaces", [])},
        volumes={m["Ebs"]["VolumeId"]: m["DeviceName"] for m in data.get("BlockDeviceMappings", []) if "Ebs" in m},
        tags=tags)


def eni_groups(ctx: ActionContext, eni_ids: list[str]) -> dict[str, list[str]]:
    """Groups as the ENIs themselves report them (the view that isolation changes)."""
    if not eni_ids:
        return {}
    found = ctx.call("ec2", "describe_network_interfaces", NetworkInterfaceIds=eni_ids)["NetworkInterfaces"]
    return {n["NetworkInterfaceId"]: [g["GroupId"] for g in n.get("Groups", [])] for n in found}


def termination_protected(ctx: ActionContext, instance_id: str) -> bool:
    found = ctx.call("ec2", "describe_instance_attribute", InstanceId=instance_id, Attribute="disableApiTermination")
    return bool(found["DisableApiTermination"]["Value"])


def auto_scaling_group(ctx: ActionContext, instance_id: str) -> str | None:
    found = ctx.call("autoscaling", "describe_auto_scaling_instances", InstanceIds=[instance_id])
    groups = [i["AutoScalingGroupName"] for i in found.get("AutoScalingInstances", [])]
    return groups[0] if groups else None


def target_groups(ctx: ActionContext, instance_id: str) -> list[dict]:
    """[{"arn", "port"}] of the target groups the instance is registered in (not draining)."""
    arns, marker = [], None
    while True:
        page = ctx.call("elbv2", "describe_target_groups", **({"Marker": marker} if marker else {}))
        arns += [g["TargetGroupArn"] for g in page.get("TargetGroups", []) if g.get("TargetType") == "instance"]
        marker = page.get("NextMarker")
        if not marker:
            break
    found = []
    for arn in arns:
        health = ctx.call("elbv2", "describe_target_health", TargetGroupArn=arn)["TargetHealthDescriptions"]
        found += [{"arn": arn, "port": h["Target"].get("Port")} for h in health
                  if h["Target"]["Id"] == instance_id and h.get("TargetHealth", {}).get("State") != "draining"]
    return found
