"""quarantine-user / quarantine-role: an explicit deny-all inline policy (deny wins over
every allow). For a role, also AWS's "revoke active sessions" policy: deny to credentials
issued before now, so stolen session tokens die at once. Undo removes the deny-all only;
revoked sessions stay revoked (fresh ones work again)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan

POLICY = "firebreak-quarantine"
REVOKE = "AWSRevokeOlderSessions"
DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Sid": "FirebreakQuarantine", "Effect": "Deny",
                                                     "Action": "*", "Resource": "*"}]}


def revoke_before(moment: datetime) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}}}]}


class _Quarantine:
    kind = ""  # "user" or "role"

    def _params(self, ctx: ActionContext, **extra) -> dict:
        return {f"{self.kind.capitalize()}Name": ctx.job.target, **extra}

    def _policy(self, ctx: ActionContext, name: str) -> dict | None:
        try:
            found = ctx.call("iam", f"get_{self.kind}_policy", **self._params(ctx, PolicyName=name))
        except AwsActionError as exc:
            if exc.code == "NoSuchEntity":
                return None
            raise
        document = found["PolicyDocument"]
        return json.loads(document) if isinstance(document, str) else document

    def _put(self, ctx: ActionContext, name: str, document: dict | None) -> None:
        if document is None:
            ctx.call("iam", f"delete_{self.kind}_policy", **self._params(ctx, PolicyName=name))
        else:
            ctx.call("iam", f"put_{self.kind}_policy", **self._params(ctx, PolicyName=name,
                                                                       PolicyDocument=json.dumps(document)))

    def plan(self, ctx: ActionContext) -> Plan:
        ctx.call("iam", f"get_{self.kind}", **self._params(ctx))  # NoSuchEntity for an unknown name
        existing = self._policy(ctx, POLICY)
        current = [f"IAM {self.kind} {ctx.job.target}: " + ("already quarantined" if existing == DENY_ALL
                                                            else "no Firebreak quarantine policy")]
        changes = [f"Put inline policy {POLICY}: deny every action on every resource"]
        if self.kind == "role":
            changes.append(f"Put inline policy {REVOKE}: deny sessions issued before the moment of approval")
        return plan(ctx, current, changes)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        prior = self._policy(ctx, POLICY)
        self._put(ctx, POLICY, DENY_ALL)
        steps.did("quarantine policy", lambda: self._put(ctx, POLICY, prior))
        memory = {"prior": prior}
        if self.kind == "role":
            memory["revoked_before"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._put(ctx, REVOKE, revoke_before(datetime.now(timezone.utc)))
        return f"IAM {self.kind} {ctx.job.target} is quarantined (deny-all)", memory

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        checks = [("deny-all policy in place", self._policy(ctx, POLICY) == DENY_ALL)]
        if self.kind == "role":
            checks.append(("older sessions revoked", self._policy(ctx, REVOKE) is not None))
        return checks

    def undo_plan(self, ctx: ActionContext) -> Plan:
        note = ["Sessions issued before the quarantine stay revoked"] if self.kind == "role" else []
        return plan(ctx, [f"IAM {self.kind} {ctx.job.target}: quarantined"],
                    [f"Remove inline policy {POLICY}" if ctx.job.memory.get("prior") is None
                     else f"Restore the earlier {POLICY} policy"] + note)

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        self._put(ctx, POLICY, ctx.job.memory.get("prior"))
        return f"IAM {self.kind} {ctx.job.target} is no longer quarantined", ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("deny-all policy removed", self._policy(ctx, POLICY) == memory.get("prior"))]


class QuarantineUser(_Quarantine):
    spec = SPECS["quarantine-user"]
    kind = "user"


class QuarantineRole(_Quarantine):
    spec = SPECS["quarantine-role"]
    kind = "role"
