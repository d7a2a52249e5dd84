"""restore-bucket-policy: put back the bucket policy from before the incident, where
Firebreak can know it:

1. AWS Config's history of the bucket (GetResourceConfigHistory, AWS::S3::Bucket): the
   last configuration recorded before the incident was declared (core hands over the
   declaration time, Job.context["declared_at"]);
2. else the policy an earlier block-public-s3 of this bucket in this incident found (it was
   already during the incident, so the plan says so for the approver to judge).

Neither known: refused (restore it by hand from your infrastructure code). The plan shows
the current policy and the one to restore; exactly that one is written (it travels in the
plan's facts). No policy before: the bucket policy is deleted. Undo puts back the policy
that was replaced; verify compares normalised JSON."""

from __future__ import annotations

import json
from datetime import datetime

from aws.actions import bucket_policy
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed

# Config answers these when it cannot tell: not recording, never saw the bucket, not allowed.
CONFIG_UNKNOWN = {"ResourceNotDiscoveredException": "AWS Config never recorded the bucket",
                  "NoAvailableConfigurationRecorderException": "AWS Config is not recording in this region",
                  "AccessDeniedException": "Firebreak may not read AWS Config (config:GetResourceConfigHistory)",
                  "AccessDenied": "Firebreak may not read AWS Config (config:GetResourceConfigHistory)"}


def from_config(ctx: ActionContext, bucket: str, before: datetime | None) -> tuple[dict | None, str]:
    """({"policy": text or None, "source": …}, "") from the last configuration recorded
    before `before`, or (None, why not)."""
    if before is None:
        return None, "the incident's declaration time is unknown"
    try:
        found = ctx.call("config", "get_resource_config_history", resourceType="AWS::S3::Bucket", resourceId=bucket,
                         laterTime=before, chronologicalOrder="Reverse", limit=1)
    except AwsActionError as exc:
        if exc.code in CONFIG_UNKNOWN:
            return None, CONFIG_UNKNOWN[exc.code]
        raise
    items = [i for i in found.get("configurationItems", [])
             if i.get("configurationItemStatus") in (None, "OK", "ResourceDiscovered")]
    if not items:
        return None, f"AWS Config has no configuration of the bucket before {before:%Y-%m-%d %H:%M} UTC"
    item = items[0]
    raw = (item.get("supplementaryConfiguration") or {}).get("BucketPolicy")
    if raw is None:
        return None, "AWS Config's record of the bucket has no BucketPolicy"
    text = (json.loads(raw) if isinstance(raw, str) else raw).get("policyText")
    captured = item.get("configurationItemCaptureTime")
    when = f"{captured:%Y-%m-%d %H:%M} UTC" if isinstance(captured, datetime) else "before the incident"
    return {"policy": text, "source": f"AWS Config, recorded {when}"}, ""


def _declared(ctx: ActionContext) -> datetime | None:
    found = ctx.job.context.get("declared_at")
    return datetime.fromisoformat(found) if found else None


class RestoreBucketPolicy:
    spec = SPECS["restore-bucket-policy"]

    def plan(self, ctx: ActionContext) -> Plan:
        bucket = ctx.job.target
        ctx.call("s3", "get_bucket_location", Bucket=bucket)  # NoSuchBucket if unknown
        current = bucket_policy.read(ctx, bucket)
        earlier, why_not = from_config(ctx, bucket, _declared(ctx))
        remembered = ctx.job.context.get("remembered")
        if earlier is None and remembered:
            earlier = {"policy": remembered["policy"],
                       "source": f"as {remembered['by']} block-public-s3 found it, during the incident ({why_not}): "
                                 "check it is not the attacker's"}
        if earlier is None:
            raise ActionFailed(f"No bucket policy from before the incident is known for {bucket}: {why_not}, and no "
                               "earlier block-public-s3 of it in this incident remembered one. Restore it by hand "
                               "from your infrastructure code.", "NoEarlierPolicy")
        lines = [f"Bucket {bucket} policy now: {bucket_policy.shown(current)}",
                 f"Before the incident ({earlier['source']}): {bucket_policy.shown(earlier['policy'])}"]
        if bucket_policy.same(current, earlier["policy"]):
            return plan(ctx, lines, ["Nothing: the policy is already the one from before the incident"],
                        already_done=True)
        change = (f"Delete the bucket policy (it had none: {earlier['source']})" if earlier["policy"] is None
                  else "Put back the policy from before the incident")
        return plan(ctx, lines, [change + " (undo puts today's policy back)"], restore_policy=earlier["policy"],
                    restore_source=earlier["source"])

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        bucket, wanted = ctx.job.target, ctx.job.context.get("restore_policy")
        if "restore_policy" not in ctx.job.context:
            raise ActionFailed("The approved plan carries no policy to restore; ask again.", "NoEarlierPolicy")
        replaced = bucket_policy.read(ctx, bucket)
        bucket_policy.write(ctx, bucket, wanted)
        steps.did("bucket policy", lambda: bucket_policy.write(ctx, bucket, replaced))
        what = "deleted (none before the incident)" if wanted is None else "restored from before the incident"
        return f"Bucket {bucket}: policy {what}", {"replaced": replaced, "restored": wanted,
                                                   "source": ctx.job.context.get("restore_source")}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("the bucket policy is the one from before the incident",
                 bucket_policy.same(bucket_policy.read(ctx, ctx.job.target), memory["restored"]))]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        memory = ctx.job.memory
        return plan(ctx, [f"Bucket {ctx.job.target} policy now: "
                          f"{bucket_policy.shown(bucket_policy.read(ctx, ctx.job.target))}"],
                    [f"Back to the policy it replaced: {bucket_policy.shown(memory['replaced'])}"])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        bucket_policy.write(ctx, ctx.job.target, ctx.job.memory["replaced"])
        return f"Bucket {ctx.job.target}: policy as before the restore", ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("the bucket policy is the one it replaced",
                 bucket_policy.same(bucket_policy.read(ctx, ctx.job.target), memory["replaced"]))]
