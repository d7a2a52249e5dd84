"""disable-lambda: reserved concurrency 0, so no invocation runs; undo restores the prior
reservation (or removes it)."""

from __future__ import annotations

from aws.actions.base import ActionContext, Checks, Steps, plan
from core.containment.catalog import SPECS, Plan


def _reserved(ctx: ActionContext) -> int | None:
    return ctx.call("lambda", "get_function_concurrency", FunctionName=ctx.job.target).get(
        "ReservedConcurrentExecutions")


def _set(ctx: ActionContext, value: int | None) -> None:
    if value is None:
        ctx.call("lambda", "delete_function_concurrency", FunctionName=ctx.job.target)
    else:
        ctx.call("lambda", "put_function_concurrency", FunctionName=ctx.job.target, ReservedConcurrentExecutions=value)


def _describe(value: int | None) -> str:
    return "no reserved concurrency" if value is None else f"reserved concurrency {value}"


class DisableLambda:
    spec = SPECS["disable-lambda"]

    def plan(self, ctx: ActionContext) -> Plan:
        ctx.call("lambda", "get_function", FunctionName=ctx.job.target)  # ResourceNotFoundException if unknown
        value = _reserved(ctx)
        return plan(ctx, [f"Function {ctx.job.target}: {_describe(value)}"],
                    ["Nothing: concurrency is already 0" if value == 0 else "Reserved concurrency → 0 (no invocations)"],
                    already_done=value == 0)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        prior = _reserved(ctx)
        _set(ctx, 0)
        return f"Function {ctx.job.target} cannot run (reserved concurrency 0)", {"prior": prior}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("reserved concurrency is 0", _reserved(ctx) == 0)]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        return plan(ctx, [f"Function {ctx.job.target}: {_describe(_reserved(ctx))}"],
                    [f"Back to {_describe(ctx.job.memory.get('prior'))}"])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        _set(ctx, ctx.job.memory.get("prior"))
        return f"Function {ctx.job.target}: {_describe(ctx.job.memory.get('prior'))} again", ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        return [(f"{_describe(memory.get('prior'))} again", _reserved(ctx) == memory.get("prior"))]
