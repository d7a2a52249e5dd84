"""block-public-s3: turn on all four settings of the bucket's public access block,
remembering what was there so undo puts it back exactly. It also remembers the bucket
policy it found (unchanged here), so `/remediate restore-bucket-policy` can offer it when
AWS Config has no history of the bucket."""

from __future__ import annotations

from aws.actions import bucket_policy
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan

ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
          "RestrictPublicBuckets": True}


def _block(ctx: ActionContext) -> dict | None:
    try:
        found = ctx.call("s3", "get_public_access_block", Bucket=ctx.job.target)
    except AwsActionError as exc:
        if exc.code == "NoSuchPublicAccessBlockConfiguration":
            return None
        raise
    return found["PublicAccessBlockConfiguration"]


def _policy(ctx: ActionContext) -> dict:
    """{"policy": the bucket policy or None}, or {} when Firebreak may not read it (blocking
    public access must not depend on s3:GetBucketPolicy)."""
    try:
        return {"policy": bucket_policy.read(ctx, ctx.job.target)}
    except AwsActionError as exc:
        if exc.code in ("AccessDenied", "AccessDeniedException"):
            return {}
        raise


def _put(ctx: ActionContext, setting: dict | None) -> None:
    if setting is None:
        ctx.call("s3", "delete_public_access_block", Bucket=ctx.job.target)
    else:
        ctx.call("s3", "put_public_access_block", Bucket=ctx.job.target, PublicAccessBlockConfiguration=setting)


def _describe(setting: dict | None) -> str:
    if setting is None:
        return "no public access block"
    on = [k for k, v in setting.items() if v]
    return "all four settings on" if len(on) == 4 else f"on: {', '.join(on) or 'none'}"


class BlockPublicS3:
    spec = SPECS["block-public-s3"]

    def plan(self, ctx: ActionContext) -> Plan:
        location = ctx.call("s3", "get_bucket_location", Bucket=ctx.job.target)  # NoSuchBucket if unknown
        bucket_region = location.get("LocationConstraint") or "us-east-1"
        setting = _block(ctx)
        change = "Nothing: all four settings are on" if setting == ALL_ON else \
            "Turn on BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets"
        return plan(ctx, [f"Bucket {ctx.job.target}: {_describe(setting)}"], [change], already_done=setting == ALL_ON,
                    bucket_region=bucket_region)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        prior, policy = _block(ctx), _policy(ctx)
        _put(ctx, ALL_ON)
        return f"Bucket {ctx.job.target}: public access blocked", {"prior": prior, **policy}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("all four public access block settings are on", _block(ctx) == ALL_ON)]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        return plan(ctx, [f"Bucket {ctx.job.target}: {_describe(_block(ctx))}"],
                    [f"Back to: {_describe(ctx.job.memory.get('prior'))}"])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        _put(ctx, ctx.job.memory.get("prior"))
        return f"Bucket {ctx.job.target}: public access block as before", ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("public access block as before", _block(ctx) == memory.get("prior"))]
