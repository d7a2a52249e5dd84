"""snapshot-instance: forensic EBS snapshots of every volume (evidence: no undo)."""

from __future__ import annotations

from aws.actions import ec2_lookup, snapshots
from aws.actions.base import ActionContext, Checks, Steps, plan
from core.containment.catalog import SPECS, Plan


class SnapshotInstance:
    spec = SPECS["snapshot-instance"]

    def plan(self, ctx: ActionContext) -> Plan:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        current = [f"Instance {facts.id} {facts.name!r} ({facts.state}) in {facts.vpc or 'no VPC'}, "
                   f"{len(facts.volumes)} EBS volume(s)"]
        return plan(ctx, current, snapshots.changes(facts), subnets=facts.subnets)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        taken = snapshots.take(ctx, facts, steps)
        return f"{len(taken)} snapshot(s): {', '.join(taken) or 'none'}", {"snapshots": taken}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return snapshots.check(ctx, memory["snapshots"])
