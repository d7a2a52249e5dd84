"""delete-access-key: delete an IAM user's access key that is already disabled, once
evidence is recorded (core checks that). AWS cannot bring a deleted key back, so there is
no undo: a key still Active is refused (disable it first with /contain disable-access-key,
watch what breaks, then delete it), and so is a key of a protected principal."""

from __future__ import annotations

from aws.actions import protected
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed


def owner_and_status(ctx: ActionContext, key: str) -> tuple[str, str | None, str | None]:
    """(user, status or None if the user has no such key any more, last used date or None)."""
    try:
        last = ctx.call("iam", "get_access_key_last_used", AccessKeyId=key)
    except AwsActionError as exc:
        if exc.code == "NoSuchEntity":
            raise ActionFailed(f"AWS knows no access key {key} in account {ctx.account} (deleted already, or "
                               "mistyped).", exc.code) from exc
        raise
    user = last["UserName"]
    keys = ctx.call("iam", "list_access_keys", UserName=user)["AccessKeyMetadata"]
    used = (last.get("AccessKeyLastUsed") or {}).get("LastUsedDate")
    return user, next((k["Status"] for k in keys if k["AccessKeyId"] == key), None), \
        (f"{used:%Y-%m-%d %H:%M} UTC" if used else None)


def _refuse_unless_disabled(ctx: ActionContext, key: str, user: str, status: str | None) -> None:
    if status == "Active":
        raise ActionFailed(f"Access key {key} of IAM user {user} is still Active: disable it first: "
                           f"`/contain disable-access-key {key}`. Once nothing breaks and evidence is recorded, "
                           "ask again; a deleted key cannot be brought back.", "KeyStillActive")


class DeleteAccessKey:
    spec = SPECS["delete-access-key"]

    def plan(self, ctx: ActionContext) -> Plan:
        key = ctx.job.target
        user, status, used = owner_and_status(ctx, key)
        protected.refuse_if_protected(ctx, "user", user, f"delete access key {key} of")
        if status is None:
            return plan(ctx, [f"IAM user {user} has no access key {key} any more"], ["Nothing: the key is gone"],
                        user=user, already_done=True)
        _refuse_unless_disabled(ctx, key, user, status)
        return plan(ctx, [f"Access key {key} of IAM user {user}: {status} (disabled first)",
                          f"Last used: {used or 'never'}"],
                    [f"Delete access key {key} of {user} (no undo: AWS cannot restore a deleted key)"], user=user)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        key = ctx.job.target
        user, status, _ = owner_and_status(ctx, key)
        protected.refuse_if_protected(ctx, "user", user, f"delete access key {key} of")
        _refuse_unless_disabled(ctx, key, user, status)  # someone may have re-enabled it since the plan
        if status is not None:
            ctx.call("iam", "delete_access_key", UserName=user, AccessKeyId=key)
        return f"Access key {key} of {user} deleted", {"user": user, "was": status}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        keys = ctx.call("iam", "list_access_keys", UserName=memory["user"])["AccessKeyMetadata"]
        return [(f"{memory['user']} no longer has the key", all(k["AccessKeyId"] != ctx.job.target for k in keys))]
