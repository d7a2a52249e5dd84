"""The evidence bucket as every `/evidence` action uses it: which bucket, whether it is an
Object Lock bucket in compliance mode (checked in each plan, refused without), where a
request's objects go, writing an object with its SHA-256 (S3 checks it on arrival and
refuses bytes that differ), and the manifest entries actions report in memory["evidence"]."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Callable

from aws.actions.base import ActionContext, Checks
from aws.errors import AwsActionError
from core.errors import UsageError
from core.evidence.model import NOT_REHASHABLE, OBJECT, SNAPSHOT, SSM_OUTPUT

HASH_NOTE = ("SHA-256 computed by Firebreak over the bytes as written, sent with the upload (S3 verified it on "
             "arrival); kept in an Object Lock COMPLIANCE bucket, re-hashed by `bot.py evidence verify`")


class Kept:
    """Evidence is never undone (the specs say undoable=False, so core refuses an undo first)."""

    def undo_plan(self, ctx: ActionContext):
        raise UsageError(f"{ctx.job.action} cannot be undone: evidence is kept.")

    def undo(self, ctx: ActionContext, steps):
        return self.undo_plan(ctx)

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        return self.undo_plan(ctx)


def bucket(ctx: ActionContext) -> str:
    name = ctx.evidence.bucket_for(ctx.account)
    if not name:
        raise UsageError(f"{ctx.job.action} needs an evidence bucket: set evidence.bucket (an S3 bucket with "
                         "Object Lock in COMPLIANCE mode) in the configuration.")
    return name


def owner(ctx: ActionContext) -> dict:
    """ExpectedBucketOwner for every call on the evidence bucket: S3 refuses the call (403) when
    the bucket of that name belongs to another account, instead of writing evidence there."""
    expected = ctx.evidence.owner_of(ctx.account)
    return {"ExpectedBucketOwner": expected} if expected else {}


def locked(ctx: ActionContext, name: str) -> str:
    """The bucket's Object Lock default retention as one line; refuse when it is not COMPLIANCE
    or shorter than evidence.min_retention_days."""
    try:
        found = ctx.call("s3", "get_object_lock_configuration", Bucket=name,
                         **owner(ctx))["ObjectLockConfiguration"]
    except AwsActionError as exc:
        if exc.code in ("ObjectLockConfigurationNotFoundError", "NoSuchBucket"):
            raise UsageError(f"Evidence bucket {name} has no Object Lock ({exc.code}): evidence must be kept "
                             "where nobody can change or delete it. Create the bucket with Object Lock and a "
                             "COMPLIANCE default retention.") from None
        if exc.code == "AccessDenied":
            raise UsageError(f"Evidence bucket {name}: AccessDenied. Either the IAM policy does not allow it, or "
                             f"the bucket is not owned by {ctx.evidence.owner_of(ctx.account)} (sent as "
                             "ExpectedBucketOwner): set evidence.bucket_owner to the account that owns it.") from None
        raise
    rule = (found.get("Rule") or {}).get("DefaultRetention") or {}
    if found.get("ObjectLockEnabled") != "Enabled" or rule.get("Mode") != "COMPLIANCE":
        raise UsageError(f"Evidence bucket {name} has Object Lock {found.get('ObjectLockEnabled') or 'off'} with "
                         f"default retention {rule.get('Mode') or 'none'}: collecting needs a COMPLIANCE default "
                         "retention (GOVERNANCE can be bypassed, none protects nothing).")
    span = f"{rule['Days']} day(s)" if rule.get("Days") else f"{rule.get('Years')} year(s)"
    days = rule.get("Days") or 365 * (rule.get("Years") or 0)
    if days < ctx.evidence.min_retention_days:
        raise UsageError(f"Evidence bucket {name} keeps objects for {span} (Object Lock COMPLIANCE default "
                         f"retention): evidence.min_retention_days asks for at least {ctx.evidence.min_retention_days}"
                         " days. Lengthen the bucket's default retention, or lower that setting deliberately.")
    return f"Evidence bucket {name}: Object Lock COMPLIANCE, {span} default retention"


def prefix(ctx: ActionContext) -> str:
    """incident-<n>/<request label>: every object of one request under one prefix."""
    return f"incident-{ctx.job.incident_id}/{ctx.job.label or 'plan'}"


def put(ctx: ActionContext, name: str, key: str, body: bytes, *, source: str, content_type: str,
        note: str = HASH_NOTE, **detail) -> dict:
    """Write one object with its SHA-256; the manifest entry of exactly that version."""
    return put_hashed(ctx, name, key, body, hashlib.sha256(body).digest(), len(body), source=source,
                      content_type=content_type, note=note, **detail)


def put_hashed(ctx: ActionContext, name: str, key: str, body, digest: bytes, size: int, *, source: str,
               content_type: str, note: str = HASH_NOTE, **detail) -> dict:
    """As put(), for a body already hashed while it was read (bytes or a file positioned at 0)."""
    written = ctx.call("s3", "put_object", Bucket=name, Key=key, Body=body, ContentType=content_type, **owner(ctx),
                       ChecksumAlgorithm="SHA256",
                       ChecksumSHA256=base64.b64encode(digest).decode(),
                       Metadata={"firebreak-incident": str(ctx.job.incident_id),
                                 "firebreak-request": ctx.job.label or "", "firebreak-sha256": digest.hex()})
    return object_item(ctx, name, key, written.get("VersionId"), digest.hex(), size, source, note, **detail)


def object_item(ctx: ActionContext, name: str, key: str, version: str | None, sha256: str | None, size: int | None,
                source: str, note: str, kind: str = OBJECT, **detail) -> dict:
    location = f"s3://{name}/{key}" + (f"?versionId={version}" if version else "")
    return {"kind": kind, "location": location, "account": ctx.account, "region": ctx.job.region, "sha256": sha256,
            "size": size, "source": source, "note": note,
            "detail": {"bucket": name, "key": key, "version_id": version, **detail}}


def snapshot_item(ctx: ActionContext, snapshot: str, tags: list[dict], size: int | None, source: str,
                  note: str = NOT_REHASHABLE, **detail) -> dict:
    return {"kind": SNAPSHOT, "location": f"snapshot:{snapshot}", "account": ctx.account, "region": ctx.job.region,
            "sha256": None, "size": size, "source": source, "note": note,
            "detail": {"snapshot_id": snapshot, "tags": {t["Key"]: t["Value"] for t in tags}, **detail}}


def ssm_item(ctx: ActionContext, name: str, key_prefix: str, source: str, note: str, **detail) -> dict:
    return {"kind": SSM_OUTPUT, "location": f"s3://{name}/{key_prefix}/", "account": ctx.account,
            "region": ctx.job.region, "sha256": None, "size": None, "source": source, "note": note,
            "detail": {"bucket": name, "prefix": key_prefix, **detail}}


def check_objects(ctx: ActionContext, items: list[dict]) -> Checks:
    """Each written object version exists with the size recorded (re-hashing is `evidence verify`'s)."""
    checks = []
    for item in items:
        if item["kind"] != OBJECT:
            continue
        d = item["detail"]
        try:
            head = ctx.call("s3", "head_object", Bucket=d["bucket"], Key=d["key"], **owner(ctx),
                            **({"VersionId": d["version_id"]} if d.get("version_id") else {}))
            ok = head.get("ContentLength") == item["size"]
        except AwsActionError:
            ok = False
        checks.append((f"{item['location']} stored ({item['size']} bytes)", ok))
    return checks


def poll(until: Callable[[], bool], wait_seconds: int, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Call `until` with backoff (1, 2, 4 … up to 15 s between tries) until it holds or time is up."""
    deadline, delay = time.monotonic() + wait_seconds, 1.0
    while True:
        if until():
            return True
        if time.monotonic() + delay > deadline:
            return False
        sleep(delay)
        delay = min(delay * 2, 15.0)
