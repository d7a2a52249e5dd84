"""Principals Firebreak refuses to act on: its own (the user or role behind the credentials
the job acts with, including the role behind an assumed-role session), the roles it assumes
in other accounts, and `containment.protected_principals` (break-glass users and roles).
Quarantining Firebreak's own principal would cut it off mid-incident with nothing left to
undo it; quarantining break-glass access would lock responders out when they need it most.
The refusal comes at plan time, before anything is requested."""

from __future__ import annotations

import re

from aws.actions.base import ActionContext
from core.containment.model import ActionFailed

# arn:PARTITION:iam::ACCOUNT:user/PATH/NAME, …:role/PATH/NAME, arn:…:sts::ACCOUNT:assumed-role/NAME/SESSION
_ARN = re.compile(r"^arn:[\w-]+:(?:iam|sts)::(?P<account>\d{12}|\*)?:(?P<kind>user|role|assumed-role)/(?P<rest>.+)$")


def principal(arn: str) -> tuple[str, str, str] | None:
    """(account, "user" | "role", name) of an IAM user, role or assumed-role ARN; None otherwise
    (root, federated users). A role's path is dropped: names are unique in an account."""
    found = _ARN.match(arn)
    if not found:
        return None
    kind, rest = found["kind"], found["rest"]
    name = rest.split("/")[0] if kind == "assumed-role" else rest.split("/")[-1]
    return found["account"] or "*", "role" if kind == "assumed-role" else kind, name


def own(ctx: ActionContext) -> tuple[str, str, str, str] | None:
    """(account, kind, name, arn) of the principal this job's credentials belong to."""
    arn = ctx.identity()["Arn"]
    found = principal(arn)
    return (*found, arn) if found else None


def refuse_if_protected(ctx: ActionContext, kind: str, name: str, doing: str) -> None:
    """Raise ActionFailed (code ProtectedPrincipal) naming the principal and why, if IAM
    `kind` ("user"/"role") `name` in the job's account is one Firebreak must not `doing`."""
    what = f"IAM {kind} {name} in account {ctx.account}"
    mine = own(ctx)
    if mine and _same(mine[:3], ctx.account, kind, name):
        raise ActionFailed(
            f"Refusing to {doing} {what}: it is Firebreak's own principal ({mine[3]}). Firebreak would cut "
            "itself off mid-incident, with nothing left to undo it; do it by hand if you really mean to.",
            "ProtectedPrincipal")
    for entry in ctx.config.protected_principals:
        if _matches(entry, ctx.account, kind, name):
            raise ActionFailed(
                f"Refusing to {doing} {what}: it is listed in containment.protected_principals ({entry}), "
                "a break-glass or otherwise protected principal; do it by hand if you really mean to.",
                "ProtectedPrincipal")
    for account, role in ctx.config.accounts.items():
        if _matches(role.role_arn, ctx.account, kind, name):
            raise ActionFailed(
                f"Refusing to {doing} {what}: it is the role Firebreak assumes in account {account} "
                "(containment.accounts); do it by hand if you really mean to.", "ProtectedPrincipal")


def _same(found: tuple[str, str, str], account: str, kind: str, name: str) -> bool:
    # IAM names are unique regardless of case.
    return found[0] in (account, "*") and found[1] == kind and found[2].lower() == name.lower()


def _matches(entry: str, account: str, kind: str, name: str) -> bool:
    entry = entry.strip()
    if entry.startswith("arn:"):
        found = principal(entry)
        return bool(found) and _same(found, account, kind, name)
    return entry.lower() == name.lower()  # a bare name: a user or role of that name in any account
