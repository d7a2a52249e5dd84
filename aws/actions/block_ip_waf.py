"""block-ip with a WAFv2 IP set (containment.block_ip.mode: waf): the address is added to
the configured set, which your web ACL's block rule references. Updates use WAF's lock
token; a concurrent change (WAFOptimisticLockException) is re-read and retried."""

from __future__ import annotations

from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import Plan
from core.containment.model import ActionFailed

ATTEMPTS = 5


def _ref(ctx: ActionContext) -> dict:
    ip_set = ctx.config.block_ip.waf_ip_set
    return {"Name": ip_set.name, "Id": ip_set.id, "Scope": ip_set.scope}


def _read(ctx: ActionContext) -> tuple[list[str], str]:
    found = ctx.call("wafv2", "get_ip_set", **_ref(ctx))
    return found["IPSet"]["Addresses"], found["LockToken"]


def _change(ctx: ActionContext, edit) -> None:
    for _ in range(ATTEMPTS):
        addresses, token = _read(ctx)
        try:
            ctx.call("wafv2", "update_ip_set", **_ref(ctx), Addresses=edit(addresses), LockToken=token)
            return
        except AwsActionError as exc:
            if exc.code != "WAFOptimisticLockException":
                raise
    raise ActionFailed(f"The IP set kept changing under Firebreak ({ATTEMPTS} tries).", "WAFOptimisticLockException")


class WafBlock:
    def plan(self, ctx: ActionContext) -> Plan:
        addresses, _ = _read(ctx)
        name, cidr = _ref(ctx)["Name"], ctx.job.target
        return plan(ctx, [f"WAF IP set {name}: {len(addresses)} address(es)"],
                    [f"Nothing: {cidr} is already in {name}" if cidr in addresses else f"Add {cidr} to {name}"],
                    already_done=cidr in addresses)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        cidr = ctx.job.target
        added = cidr not in _read(ctx)[0]
        if added:
            _change(ctx, lambda addresses: addresses + [cidr])
        return f"{cidr} is in WAF IP set {_ref(ctx)['Name']}", {"added": added}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [(f"{ctx.job.target} is in the IP set", ctx.job.target in _read(ctx)[0])]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        cidr = ctx.job.target
        return plan(ctx, [f"WAF IP set {_ref(ctx)['Name']}"],
                    [f"Remove {cidr}" if ctx.job.memory.get("added") else "Nothing: it was there before"])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        cidr = ctx.job.target
        if ctx.job.memory.get("added"):
            _change(ctx, lambda addresses: [a for a in addresses if a != cidr])
        return f"{cidr} removed from the IP set", ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        present = ctx.job.target in _read(ctx)[0]
        return [("the IP set is as before", present != memory.get("added", False))]
