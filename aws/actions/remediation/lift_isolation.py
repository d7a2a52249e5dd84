"""lift-isolation: the recovery step after eradication. Gives an isolated instance back what
isolate-instance took (the security groups of every ENI, termination protection as it was,
its Auto Scaling group and target groups) by running isolate-instance's own undo with the
isolation request's memory, which core hands over in Job.context["isolation"] (precondition
"isolated") and marks out of effect atomically. No undo: to isolate again,
`/contain isolate-instance`."""

from __future__ import annotations

import copy
import dataclasses

from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.actions.isolate_instance import IsolateInstance
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed

ISOLATE = IsolateInstance()


def _as_isolation_undo(ctx: ActionContext) -> ActionContext:
    """The same clients and audit, with the isolation's memory as the job's memory: what
    IsolateInstance.undo reads."""
    memory = ctx.job.context.get("isolation")
    if not memory or "enis" not in memory:
        raise ActionFailed(f"No isolation of {ctx.job.target} with a record of its earlier groups was handed over "
                           "(core's `isolated` precondition); nothing to lift.", "NotIsolated")
    lifted = copy.copy(ctx)
    lifted.job = dataclasses.replace(ctx.job, memory=memory)
    return lifted


class LiftIsolation:
    spec = SPECS["lift-isolation"]

    def plan(self, ctx: ActionContext) -> Plan:
        undo = ISOLATE.undo_plan(_as_isolation_undo(ctx))
        return plan(ctx, undo.current, undo.changes)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        summary, memory = ISOLATE.undo(_as_isolation_undo(ctx), steps)
        return summary + " (isolation lifted)", {"isolation": memory}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return ISOLATE.verify_undo(_as_isolation_undo(ctx), memory["isolation"])
