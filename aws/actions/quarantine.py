"""quarantine-user / quarantine-role: attach the AWS managed policy AWSDenyAll (deny every
action on every resource; an explicit deny wins over every allow). Policies are evaluated
on every request, so sessions already issued to a role are cut at once while it is
attached. Undo detaches it again, unless it was attached before Firebreak came.

Why a managed policy and not an inline one: writing inline policies (iam:PutUserPolicy /
PutRolePolicy) cannot be limited to a deny, so a compromised Firebreak could grant itself
or anyone admin. Attaching is limited by the iam:PolicyARN condition to exactly AWSDenyAll
(iam/firebreak-policy.json). The price: after undo, stolen sessions of a role that have not
expired work again; the undo plan says until when, so they can be revoked by hand first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from aws.actions import protected
from aws.actions.base import ActionContext, Checks, Steps, plan
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed

DENY_ALL = "AWSDenyAll"
LEGACY_POLICY = "firebreak-quarantine"  # the inline policy of releases before AWSDenyAll


def deny_all_arn(ctx: ActionContext) -> str:
    """arn:<partition>:iam::aws:policy/AWSDenyAll, in the partition Firebreak acts in."""
    partition = ctx.identity()["Arn"].split(":")[1]
    return f"arn:{partition}:iam::aws:policy/{DENY_ALL}"


class _Quarantine:
    kind = ""  # "user" or "role"

    def _name(self, ctx: ActionContext) -> dict:
        return {f"{self.kind.capitalize()}Name": ctx.job.target}

    def _attached(self, ctx: ActionContext) -> list[str]:
        arns, marker = [], None
        while True:
            page = ctx.call("iam", f"list_attached_{self.kind}_policies", **self._name(ctx),
                            **({"Marker": marker} if marker else {}))
            arns += [p["PolicyArn"] for p in page.get("AttachedPolicies", [])]
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                return arns

    def _deny_all_attached(self, ctx: ActionContext) -> bool:
        return deny_all_arn(ctx) in self._attached(ctx)

    def _attach(self, ctx: ActionContext, on: bool) -> None:
        verb = "attach" if on else "detach"
        ctx.call("iam", f"{verb}_{self.kind}_policy", **self._name(ctx), PolicyArn=deny_all_arn(ctx))

    def plan(self, ctx: ActionContext) -> Plan:
        protected.refuse_if_protected(ctx, self.kind, ctx.job.target, "quarantine")
        found = ctx.call("iam", f"get_{self.kind}", **self._name(ctx))  # NoSuchEntity for an unknown name
        attached = self._attached(ctx)
        already = deny_all_arn(ctx) in attached
        current = [f"IAM {self.kind} {ctx.job.target}: " + (f"already quarantined ({DENY_ALL} attached)" if already
                                                            else f"{len(attached)} managed policy(ies) attached, "
                                                                 f"not {DENY_ALL}")]
        if already:
            return plan(ctx, current, [f"Nothing: {DENY_ALL} is already attached"], already_done=True)
        changes = [f"Attach the AWS managed policy {DENY_ALL}: every action on every resource denied"]
        if self.kind == "role":
            hours = found["Role"].get("MaxSessionDuration", 3600) / 3600
            changes.append(f"Sessions already issued (up to {hours:g} h old) are cut while it is attached")
        return plan(ctx, current, changes)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        protected.refuse_if_protected(ctx, self.kind, ctx.job.target, "quarantine")
        memory: dict = {"policy_arn": deny_all_arn(ctx), "attached": not self._deny_all_attached(ctx),
                        "quarantined_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if self.kind == "role":
            found = ctx.call("iam", "get_role", RoleName=ctx.job.target)["Role"]
            memory["max_session_seconds"] = found.get("MaxSessionDuration", 3600)
        if memory["attached"]:
            self._attach(ctx, True)
            steps.did(f"attach {DENY_ALL}", lambda: self._attach(ctx, False))
        return f"IAM {self.kind} {ctx.job.target} is quarantined ({DENY_ALL})", memory

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [(f"{DENY_ALL} attached", self._deny_all_attached(ctx))]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        memory, name = ctx.job.memory, ctx.job.target
        if "attached" not in memory:
            raise ActionFailed(
                f"IAM {self.kind} {name} was quarantined by an older Firebreak with the inline policy "
                f"{LEGACY_POLICY}; removing it needs iam:Delete{self.kind.capitalize()}Policy, which Firebreak "
                f"no longer holds. Delete the inline policy {LEGACY_POLICY} of {name} by hand.", "LegacyQuarantine")
        current = [f"IAM {self.kind} {name}: " + ("quarantined" if self._deny_all_attached(ctx)
                                                  else f"{DENY_ALL} no longer attached")]
        if not memory["attached"]:
            return plan(ctx, current, [f"Nothing: {DENY_ALL} was attached before Firebreak's quarantine; it stays"])
        changes = [f"Detach {DENY_ALL}"]
        if self.kind == "role":
            since = datetime.strptime(memory["quarantined_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            until = since + timedelta(seconds=memory.get("max_session_seconds", 3600))
            if until > datetime.now(timezone.utc):
                changes.append(f"Sessions issued before {memory['quarantined_at']} work again until they expire "
                               f"(at the latest {until:%Y-%m-%dT%H:%M:%SZ}): if they may be stolen, revoke them "
                               "first (IAM console: Revoke active sessions)")
        return plan(ctx, current, changes)

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        memory = ctx.job.memory
        if memory.get("attached") and self._deny_all_attached(ctx):
            self._attach(ctx, False)
            steps.did(f"detach {DENY_ALL}", lambda: self._attach(ctx, True))
        return f"IAM {self.kind} {ctx.job.target} is no longer quarantined", memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        attached = self._deny_all_attached(ctx)
        return [(f"{DENY_ALL} detached", not attached) if memory.get("attached")
                else (f"{DENY_ALL} still attached, as before", attached)]


class QuarantineUser(_Quarantine):
    spec = SPECS["quarantine-user"]
    kind = "user"


class QuarantineRole(_Quarantine):
    spec = SPECS["quarantine-role"]
    kind = "role"
