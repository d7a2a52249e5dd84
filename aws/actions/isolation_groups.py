"""The two security groups isolation uses in each VPC, created on first use: the
pass-through group, which allows all traffic only for the seconds an isolation moves
network interfaces through it (so their tracked connections become untracked), and the
isolation group with no ingress and no egress rules, so those connections then drop
(AWS's guidance).

At rest the pass-through group allows nothing: an interface moved into it is cut off, not
opened. They are tagged firebreak:managed=pass-through and =isolation when created
(TagSpecifications), and only groups with those tags are looked up: Firebreak's IAM policy
allows adding rules only to the pass-through group, removing them only from these two, and
those tags only at creation, so it can open no other group."""

from __future__ import annotations

from aws.actions.base import ActionContext
from aws.errors import AwsActionError
from core.containment.model import ActionFailed

MANAGED = [{"Key": "firebreak:managed", "Value": "isolation"}]
PASSING = [{"Key": "firebreak:managed", "Value": "pass-through"}]
ALL = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
# Before issue 22 the pass-through group was named so, tagged as an isolation group, and
# allowed all traffic at all times; isolation now closes it when it meets one.
LEGACY_PASS_THROUGH = "-pass-through"
PASS_THROUGH = "-untrack"


def find(ctx: ActionContext, name: str, vpc: str, tag: list[dict] = MANAGED) -> str | None:
    group = _described(ctx, name, vpc, tag)
    return group["GroupId"] if group else None


def _described(ctx: ActionContext, name: str, vpc: str, tag: list[dict] = MANAGED) -> dict | None:
    """The managed group as DescribeSecurityGroups reports it (its rules included), or None."""
    found = ctx.call("ec2", "describe_security_groups",
                     Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc]},
                              {"Name": f"tag:{tag[0]['Key']}", "Values": [tag[0]["Value"]]}])
    groups = found.get("SecurityGroups", [])
    return groups[0] if groups else None


def rules(ctx: ActionContext, group_id: str) -> tuple[list, list]:
    group = ctx.call("ec2", "describe_security_groups", GroupIds=[group_id])["SecurityGroups"][0]
    return group.get("IpPermissions", []), group.get("IpPermissionsEgress", [])


def isolation(ctx: ActionContext, vpc: str) -> str:
    """The isolation group of `vpc`: no ingress, and its default egress rule removed."""
    name = ctx.config.isolation_group
    group = _described(ctx, name, vpc)
    if group is not None:  # the lookup reported its rules already: no second DescribeSecurityGroups
        group_id, ingress, egress = group["GroupId"], group.get("IpPermissions", []), group.get("IpPermissionsEgress", [])
    else:
        group_id = _create(ctx, name, vpc, "Firebreak isolation: no traffic in or out")
        ingress, egress = rules(ctx, group_id)
    if ingress:
        ctx.call("ec2", "revoke_security_group_ingress", GroupId=group_id, IpPermissions=ingress)
    if egress:
        ctx.call("ec2", "revoke_security_group_egress", GroupId=group_id, IpPermissions=egress)
    return group_id


def pass_through(ctx: ActionContext, vpc: str) -> str:
    """The pass-through group of `vpc`, closed (no rules); a legacy always-open one is closed too."""
    legacy = _described(ctx, ctx.config.isolation_group + LEGACY_PASS_THROUGH, vpc)
    if legacy is not None:
        _close(ctx, legacy["GroupId"], legacy.get("IpPermissions", []), legacy.get("IpPermissionsEgress", []))
    name = ctx.config.isolation_group + PASS_THROUGH
    group = _described(ctx, name, vpc, PASSING)
    if group is not None:
        group_id, ingress, egress = group["GroupId"], group.get("IpPermissions", []), group.get("IpPermissionsEgress", [])
    else:
        group_id = _create(ctx, name, vpc, "Firebreak: open only while isolation cuts tracked connections", PASSING)
        ingress, egress = rules(ctx, group_id)
    _close(ctx, group_id, ingress, egress)
    return group_id


def opened(ctx: ActionContext, group_id: str) -> None:
    """Allow all traffic both ways: the rule pair that makes a flow untracked (EC2 user guide,
    "Security group connection tracking"). Closed again by `closed` right after the move."""
    ctx.call("ec2", "authorize_security_group_ingress", GroupId=group_id, IpPermissions=ALL)
    ctx.call("ec2", "authorize_security_group_egress", GroupId=group_id, IpPermissions=ALL)


def closed(ctx: ActionContext, group_id: str) -> None:
    _close(ctx, group_id, *rules(ctx, group_id))


def _close(ctx: ActionContext, group_id: str, ingress: list, egress: list) -> None:
    if ingress:
        ctx.call("ec2", "revoke_security_group_ingress", GroupId=group_id, IpPermissions=ingress)
    if egress:
        ctx.call("ec2", "revoke_security_group_egress", GroupId=group_id, IpPermissions=egress)


def _create(ctx: ActionContext, name: str, vpc: str, description: str, tag: list[dict] = MANAGED) -> str:
    try:
        return ctx.call("ec2", "create_security_group", GroupName=name, Description=description, VpcId=vpc,
                        TagSpecifications=[{"ResourceType": "security-group", "Tags": tag}])["GroupId"]
    except AwsActionError as exc:
        if exc.code != "InvalidGroup.Duplicate":
            raise
        found = find(ctx, name, vpc, tag)  # another run created it a moment ago
        if found is None:
            raise ActionFailed(f"{vpc} has a security group named {name} that Firebreak did not create (no tag "
                               f"{tag[0]['Key']}={tag[0]['Value']}); Firebreak only uses groups it created. "
                               "Rename that group, or set containment.isolation_group to another name.",
                               "InvalidGroup.Duplicate") from exc
        return found
