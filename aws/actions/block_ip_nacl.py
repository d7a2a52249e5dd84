"""block-ip with network ACLs: a deny entry for the address inbound and outbound in the
NACL of each subnet, numbered from the configured range below your allow rules. Numbers
are picked from what each NACL holds at apply time; a collision with a concurrent run
(NetworkAclEntryAlreadyExists) moves on to the next free number.

Before its first entry in an ACL, Firebreak tags the ACL firebreak:block-ip=firebreak: its
IAM policy lets it delete entries only from ACLs so tagged (and put only that tag key on
ACLs), so undo and rollback work while the ACLs nobody asked it to block in stay out of
reach of DeleteNetworkAclEntry."""

from __future__ import annotations

from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import Plan
from core.containment.model import ActionFailed
from core.errors import UsageError

ATTEMPTS = 5
DIRECTIONS = ((False, "inbound"), (True, "outbound"))
MARK = {"Key": "firebreak:block-ip", "Value": "firebreak"}


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


def _acls(ctx: ActionContext, subnet_ids: list[str]) -> list[dict]:
    return ctx.call("ec2", "describe_network_acls",
                    Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])["NetworkAcls"]


def _acl(ctx: ActionContext, acl_id: str) -> dict:
    return ctx.call("ec2", "describe_network_acls", NetworkAclIds=[acl_id])["NetworkAcls"][0]


def _free(ctx: ActionContext, acl: dict, egress: bool) -> int:
    low, high = ctx.config.block_ip.nacl_rule_range
    used = {e["RuleNumber"] for e in acl.get("Entries", []) if e["Egress"] == egress}
    number = next((n for n in range(low, high + 1) if n not in used), None)
    if number is None:
        raise ActionFailed(f"{acl['NetworkAclId']} has no free rule number in {low}-{high} "
                           "(containment.block_ip.nacl_rule_range).", "NaclRuleRangeFull")
    return number


def _blocked(acl: dict, cidr: str, egress: bool) -> int | None:
    return next((e["RuleNumber"] for e in acl.get("Entries", []) if e["Egress"] == egress
                 and e.get("CidrBlock") == cidr and e["RuleAction"] == "deny"), None)


def _add(ctx: ActionContext, acl_id: str, cidr: str, egress: bool) -> int:
    for _ in range(ATTEMPTS):
        number = _free(ctx, _acl(ctx, acl_id), egress)
        try:
            ctx.call("ec2", "create_network_acl_entry", NetworkAclId=acl_id, RuleNumber=number, Protocol="-1",
                     RuleAction="deny", Egress=egress, CidrBlock=cidr)
            return number
        except AwsActionError as exc:
            if exc.code != "NetworkAclEntryAlreadyExists":
                raise
    raise ActionFailed(f"Could not find a free rule number in {acl_id} after {ATTEMPTS} tries.", "NaclRuleCollision")


def _delete(ctx: ActionContext, entry: dict) -> None:
    ctx.call("ec2", "delete_network_acl_entry", NetworkAclId=entry["acl"], RuleNumber=entry["rule"],
             Egress=entry["egress"])


class NaclBlock:
    def plan(self, ctx: ActionContext) -> Plan:
        cidr, subnet_ids = ctx.job.target, subnets(ctx)
        current, changes, found = [], [], _acls(ctx, subnet_ids)
        for acl in found:
            mine = [a["SubnetId"] for a in acl.get("Associations", []) if a["SubnetId"] in subnet_ids]
            current.append(f"{acl['NetworkAclId']} (subnets {', '.join(mine)}): {len(acl.get('Entries', []))} entries")
            for egress, word in DIRECTIONS:
                done = _blocked(acl, cidr, egress)
                changes.append(f"{acl['NetworkAclId']}: {word} already denied (rule {done})" if done else
                               f"{acl['NetworkAclId']}: deny {cidr} {word} as rule {_free(ctx, acl, egress)}")
        if not current:
            raise ActionFailed(f"No network ACL is associated with {', '.join(subnet_ids)}.", "NoNetworkAcl")
        return plan(ctx, current, changes, subnets=subnet_ids, acls=sorted({a["NetworkAclId"] for a in found}),
                    already_done=all(_blocked(acl, cidr, egress) for acl in found for egress, _ in DIRECTIONS))

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        """Changes exactly the network ACLs the approver saw in the plan: --vpc is not
        resolved again (a subnet added to the VPC since is not touched without a new plan)."""
        cidr, added = ctx.job.target, []
        approved = ctx.job.context.get("acls")
        acls = [_acl(ctx, acl_id) for acl_id in approved] if approved else _acls(ctx, subnets(ctx))
        for acl in acls:
            if MARK not in acl.get("Tags", []) and any(_blocked(acl, cidr, e) is None for e, _ in DIRECTIONS):
                ctx.call("ec2", "create_tags", Resources=[acl["NetworkAclId"]], Tags=[MARK])
            for egress, _ in DIRECTIONS:
                if _blocked(acl, cidr, egress) is None:
                    entry = {"acl": acl["NetworkAclId"], "rule": _add(ctx, acl["NetworkAclId"], cidr, egress),
                             "egress": egress}
                    steps.did("NACL entry", lambda entry=entry: _delete(ctx, entry))
                    added.append(entry)
        return f"{cidr} denied in {len({e['acl'] for e in added})} network ACL(s)", {"entries": added}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [(f"{e['acl']} rule {e['rule']} denies {ctx.job.target}",
                 _blocked(_acl(ctx, e["acl"]), ctx.job.target, e["egress"]) == e["rule"]) for e in memory["entries"]]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        entries = ctx.job.memory["entries"]
        return plan(ctx, [f"{e['acl']} rule {e['rule']} ({'outbound' if e['egress'] else 'inbound'})" for e in entries],
                    [f"Delete {e['acl']} rule {e['rule']}" for e in entries])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        """Removes exactly this request's entries; says so if something else still denies the address."""
        for entry in ctx.job.memory["entries"]:
            _delete(ctx, entry)
        others = [f"{e['acl']} rule {rule}" for e in ctx.job.memory["entries"]
                  if (rule := _blocked(_acl(ctx, e["acl"]), ctx.job.target, e["egress"])) is not None]
        summary = f"This request's {len(ctx.job.memory['entries'])} NACL entries for {ctx.job.target} removed"
        if others:
            summary += f"; still denied by {', '.join(dict.fromkeys(others))} (not this request's)"
        return summary, ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        checks = []
        for e in memory["entries"]:
            entries = _acl(ctx, e["acl"]).get("Entries", [])
            checks.append((f"{e['acl']} rule {e['rule']} removed",
                           not any(x["RuleNumber"] == e["rule"] and x["Egress"] == e["egress"] for x in entries)))
        return checks
