"""The two security groups isolation uses in each VPC, created on first use: an allow-all
group that makes the instance's tracked connections untracked, and the isolation group
with no ingress and no egress rules, so those connections then drop (AWS's guidance).

Both are tagged firebreak:managed=isolation when created (TagSpecifications), and only
groups with that tag are looked up: Firebreak's IAM policy allows changing the rules of
tagged groups only, and allows that tag only at creation, so it can open no other group."""

from __future__ import annotations

from aws.actions.base import ActionContext
from aws.errors import AwsActionError
from core.containment.model import ActionFailed

MANAGED = [{"Key": "firebreak:managed", "Value": "isolation"}]
ALL = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def find(ctx: ActionContext, name: str, vpc: str) -> str | None:
    group = _described(ctx, name, vpc)
    return group["GroupId"] if group else None


def _described(ctx: ActionContext, name: str, vpc: str) -> dict | None:
    """The managed group as DescribeSecurityGroups reports it (its rules included), or None."""
    found = ctx.call("ec2", "describe_security_groups",
                     Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc]},
                              {"Name": f"tag:{MANAGED[0]['Key']}", "Values": [MANAGED[0]["Value"]]}])
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
    """The allow-all group an ENI passes through on its way into isolation."""
    name = ctx.config.isolation_group + "-pass-through"
    group_id = find(ctx, name, vpc)
    if group_id is None:
        group_id = _create(ctx, name, vpc, "Firebreak: cuts tracked connections on the way into isolation")
        ingress, _ = rules(ctx, group_id)
        if not ingress:
            ctx.call("ec2", "authorize_security_group_ingress", GroupId=group_id, IpPermissions=ALL)
    return group_id


def _create(ctx: ActionContext, name: str, vpc: str, description: str) -> str:
    try:
        return ctx.call("ec2", "create_security_group", GroupName=name, Description=description, VpcId=vpc,
                        TagSpecifications=[{"ResourceType": "security-group", "Tags": MANAGED}])["GroupId"]
    except AwsActionError as exc:
        if exc.code != "InvalidGroup.Duplicate":
            raise
        found = find(ctx, name, vpc)  # another run created it a moment ago
        if found is None:
            raise ActionFailed(f"{vpc} has a security group named {name} that Firebreak did not create (no tag "
                               f"{MANAGED[0]['Key']}={MANAGED[0]['Value']}); Firebreak only uses groups it created. "
                               "Rename that group, or set containment.isolation_group to another name.",
                               "InvalidGroup.Duplicate") from exc
        return found
