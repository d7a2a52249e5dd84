"""A bucket's policy as data: read (None when the bucket has none), write back exactly
(put, or delete when there was none), and compare as AWS may reorder or reshape it."""

from __future__ import annotations

import json

from aws.actions.base import ActionContext
from aws.errors import AwsActionError

SHOWN = 600  # characters of a policy shown in a plan line


def read(ctx: ActionContext, bucket: str) -> str | None:
    try:
        return ctx.call("s3", "get_bucket_policy", Bucket=bucket)["Policy"]
    except AwsActionError as exc:
        if exc.code == "NoSuchBucketPolicy":
            return None
        raise


def write(ctx: ActionContext, bucket: str, policy: str | None) -> None:
    if policy is None:
        ctx.call("s3", "delete_bucket_policy", Bucket=bucket)
    else:
        ctx.call("s3", "put_bucket_policy", Bucket=bucket, Policy=policy)


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return items[0] if len(items) == 1 else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def normalised(policy: str | None) -> str | None:
    """Key order, statement order and one-element lists do not change a policy's meaning."""
    if policy is None:
        return None
    try:
        return json.dumps(_canonical(json.loads(policy)), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return policy


def same(a: str | None, b: str | None) -> bool:
    return normalised(a) == normalised(b)


def shown(policy: str | None) -> str:
    if policy is None:
        return "no bucket policy"
    text = normalised(policy) or ""
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"
