"""delete-login-profile: remove an IAM user's console password. A password cannot be
restored (only a new one set), so there is no undo; protected principals (Firebreak's own,
break-glass users in containment.protected_principals) are refused."""

from __future__ import annotations

from aws.actions import protected
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan


def login_profile(ctx: ActionContext, user: str) -> dict | None:
    """The user's login profile, or None when the user has no console password."""
    try:
        return ctx.call("iam", "get_login_profile", UserName=user)["LoginProfile"]
    except AwsActionError as exc:
        if exc.code == "NoSuchEntity":
            ctx.call("iam", "get_user", UserName=user)  # NoSuchEntity again if the user is unknown
            return None
        raise


class DeleteLoginProfile:
    spec = SPECS["delete-login-profile"]

    def plan(self, ctx: ActionContext) -> Plan:
        user = ctx.job.target
        protected.refuse_if_protected(ctx, "user", user, "delete the console password of")
        profile = login_profile(ctx, user)
        if profile is None:
            return plan(ctx, [f"IAM user {user} has no console password"], ["Nothing: no login profile to delete"],
                        already_done=True)
        created = profile.get("CreateDate")
        return plan(ctx, [f"IAM user {user}: console password set" + (f" {created:%Y-%m-%d}" if created else "")
                          + (", reset required" if profile.get("PasswordResetRequired") else "")],
                    [f"Delete the login profile of {user}: no console sign-in (no undo: a password cannot be "
                     "restored, only a new one set)"])

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        user = ctx.job.target
        protected.refuse_if_protected(ctx, "user", user, "delete the console password of")
        had = login_profile(ctx, user) is not None
        if had:
            ctx.call("iam", "delete_login_profile", UserName=user)
        return f"{user} can no longer sign in to the console", {"had_profile": had}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("no login profile (GetLoginProfile: NoSuchEntity)", login_profile(ctx, ctx.job.target) is None)]
