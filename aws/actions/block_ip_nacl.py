"""block-ip with network ACLs: a deny entry for the address inbound and outbound in the
NACL of each subnet, numbered from the configured range below your allow rules. Numbers
are picked from what each NACL holds at apply time; a collision with a concurrent run
(NetworkAclEntryAlreadyExists) moves on to the next free number."""

from __future__ import annotations

from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import Plan
from core.errors import UsageError

ATTEMPTS = 5


def subnets(ctx: ActionContext) -> list[str]:
    options, context = ctx.job.options, ctx.job.context
    if options.get("subnets"):
        return list(options["subnets"])
    if options.get("vpc"):
        found = ctx.call("ec2", "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [options["vpc"]]}])
        return [s["SubnetId"] for s in found["Subnets"]]
    if context.get("incident_subnets") or context.get("subnets"):
        return list(context.get("incident_subnets") or context["subnets"])
    raise UsageError("block-ip needs subnets: give --subnets subnet-a,subnet-b or --vpc vpc-…, or contain one of "
                     "the incident's instances first (its subnets are used then).",
                     "/contain block-ip <ip or cidr> [--subnets …] [--vpc …]")


def acls(ctx: ActionContext, subnet_ids: list[str]) -> list[dict]:
    found = ctx.call("ec2", "describe_network_acls",
                     Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])["NetworkAcls"]
    return found


def _free(acl: dict, egress: bool, low: int, high: int) -> int:
    used = {e["RuleNumber"] for e in acl.get("Entries", []) if e["Egress"] == egress}
    for number in range(low, high + 1):
        if number not in used:
            return number
    raise AwsActionError.__new__(AwsActionError)  # replaced below


def _blocked(acl: dict, cidr: str, egress: bool) -> int | None:
    return next((e["RuleNumber"] for e in acl.get("Entries", []) if e["Egress"] == egress
                 and e.get("CidrBlock") == cidr and e["RuleAction"] == "deny"), None)
