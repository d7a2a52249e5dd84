"""revoke-instance-role: disassociate the instance profile, so code on the instance gets
no more role credentials (credentials already handed out live until they expire:
quarantine-role cuts those). Undo associates the same profile again, which needs
iam:PassRole on the profile's role (iam/README.md: the role must carry the tag
firebreak:restorable=true). Refused when the profile's role is Firebreak's own (it runs on
this instance) or a protected principal."""

from __future__ import annotations

from aws.actions import ec2_lookup, protected
from aws.actions.base import ActionContext, Checks, Steps, plan
from core.containment.catalog import SPECS, Plan


def _association(ctx: ActionContext) -> dict | None:
    found = ctx.call("ec2", "describe_iam_instance_profile_associations",
                     Filters=[{"Name": "instance-id", "Values": [ctx.job.target]},
                              {"Name": "state", "Values": ["associated", "associating"]}])
    associations = found.get("IamInstanceProfileAssociations", [])
    return associations[0] if associations else None


def _refuse_if_protected(ctx: ActionContext, association: dict | None) -> None:
    if association is None:
        return
    profile = association["IamInstanceProfile"]["Arn"]
    name = profile.split("/")[-1]
    roles = ctx.call("iam", "get_instance_profile", InstanceProfileName=name)["InstanceProfile"].get("Roles", [])
    for role in roles:
        protected.refuse_if_protected(ctx, "role", role["RoleName"],
                                     f"take instance profile {name} off {ctx.job.target}, which holds")


class RevokeInstanceRole:
    spec = SPECS["revoke-instance-role"]

    def plan(self, ctx: ActionContext) -> Plan:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        found = _association(ctx)
        _refuse_if_protected(ctx, found)
        profile = found["IamInstanceProfile"]["Arn"] if found else None
        return plan(ctx, [f"Instance {facts.id} {facts.name!r}: instance profile {profile or 'none'}"],
                    [f"Disassociate {profile}" if profile else "Nothing: no instance profile"],
                    subnets=facts.subnets, already_done=profile is None)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        found = _association(ctx)
        if found is None:
            return f"{ctx.job.target} has no instance profile", {"profile": None}
        _refuse_if_protected(ctx, found)
        ctx.call("ec2", "disassociate_iam_instance_profile", AssociationId=found["AssociationId"])
        return f"Instance profile removed from {ctx.job.target}", {"profile": found["IamInstanceProfile"]["Arn"]}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("no instance profile associated", _association(ctx) is None)]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        profile = ctx.job.memory.get("profile")
        return plan(ctx, [f"Instance {ctx.job.target}: instance profile "
                          f"{(_association(ctx) or {}).get('IamInstanceProfile', {}).get('Arn', 'none')}"],
                    [f"Associate {profile} again" if profile else "Nothing: there was no profile"])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        profile = ctx.job.memory.get("profile")
        if profile:
            ctx.call("ec2", "associate_iam_instance_profile", InstanceId=ctx.job.target,
                     IamInstanceProfile={"Arn": profile})
        return f"Instance profile {profile or 'none'} on {ctx.job.target} again", ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        found = _association(ctx)
        return [("the instance profile is back",
                 (found or {}).get("IamInstanceProfile", {}).get("Arn") == memory.get("profile"))]
