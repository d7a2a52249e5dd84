"""disable-access-key: find the key's IAM user and deactivate the key (undo: reactivate)."""

from __future__ import annotations

from aws.actions import protected
from aws.actions.base import ActionContext, Checks, Steps, plan
from core.containment.catalog import SPECS, Plan


def _owner_and_status(ctx: ActionContext, key: str) -> tuple[str, str]:
    user = ctx.call("iam", "get_access_key_last_used", AccessKeyId=key)["UserName"]
    keys = ctx.call("iam", "list_access_keys", UserName=user)["AccessKeyMetadata"]
    return user, next(k["Status"] for k in keys if k["AccessKeyId"] == key)


def _set(ctx: ActionContext, user: str, key: str, status: str) -> None:
    ctx.call("iam", "update_access_key", UserName=user, AccessKeyId=key, Status=status)


class DisableAccessKey:
    spec = SPECS["disable-access-key"]

    def plan(self, ctx: ActionContext) -> Plan:
        key = ctx.job.target
        user, status = _owner_and_status(ctx, key)
        protected.refuse_if_protected(ctx, "user", user, f"disable access key {key} of")
        change = f"Deactivate {key} ({status} → Inactive)" if status == "Active" else "Nothing: the key is inactive"
        return plan(ctx, [f"Access key {key} of IAM user {user}: {status}"], [change], user=user,
                    already_done=status != "Active")

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        key = ctx.job.target
        user, status = _owner_and_status(ctx, key)
        protected.refuse_if_protected(ctx, "user", user, f"disable access key {key} of")
        if status == "Active":
            _set(ctx, user, key, "Inactive")
            steps.did("deactivate", lambda: _set(ctx, user, key, "Active"))
        return f"Access key {key} of {user} is inactive", {"user": user, "was": status}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        _, status = _owner_and_status(ctx, ctx.job.target)
        return [("the key is inactive", status == "Inactive")]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        key, memory = ctx.job.target, ctx.job.memory
        _, status = _owner_and_status(ctx, key)
        return plan(ctx, [f"Access key {key} of {memory['user']}: {status}"],
                    [f"Set {key} back to {memory['was']}"])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        key, memory = ctx.job.target, ctx.job.memory
        _set(ctx, memory["user"], key, memory["was"])
        return f"Access key {key} is {memory['was']} again", memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        _, status = _owner_and_status(ctx, ctx.job.target)
        return [(f"the key is {memory['was']}", status == memory["was"])]
