"""collect-logs <principal|instance|bucket> [--hours N]: the window's log objects copied into
the evidence bucket, each hashed as written:

- always: the CloudTrail log files of the account and region for the window, from every
  trail's S3 bucket (DescribeTrails → AWSLogs/<account>/CloudTrail/<region>/<y>/<m>/<d>/);
- an instance: also the VPC flow log files of its VPC, subnets and interfaces where flow
  logs deliver to S3 (DescribeFlowLogs → AWSLogs/<account>/vpcflowlogs/<region>/…);
- a bucket: also its S3 server access logs (GetBucketLogging → target bucket and prefix,
  simple key format <prefix>YYYY-mm-DD-HH-MM-SS-…).

A log file holds every principal's events of its five minutes: it is copied whole (cutting
it would break its integrity), and the custody note says to filter by the subject.

Objects are read and written again (GetObject → PutObject with the SHA-256) rather than
CopyObject: Firebreak then hashes exactly the bytes it stores, and S3 checks that hash on
arrival, which an Object Lock bucket's uploads require anyway."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from aws.actions import ec2_lookup
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.actions.evidence import vault
from aws.errors import AwsActionError
from core.containment.catalog import INSTANCE, SPECS, Plan
from core.errors import UsageError

DEFAULT_HOURS, MAX_HOURS = 24, 24 * 30
STAMP = re.compile(r"_(\d{8}T\d{4})Z_")  # CloudTrail and flow log file names
BUCKET = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
LATE = timedelta(minutes=20)  # files are delivered (and named) up to ~15 minutes after their events


class CollectLogs(vault.Kept):
    spec = SPECS["collect-logs"]

    def plan(self, ctx: ActionContext) -> Plan:
        name = vault.bucket(ctx)
        kind, subject = subject_of(ctx)
        start, end = window(ctx)
        found = sources(ctx, kind, subject, start, end)
        total = sum(len(keys) for keys in found.values())
        if total > ctx.evidence.max_log_objects:
            raise UsageError(f"{total} log objects in the window: more than evidence.max_log_objects "
                             f"({ctx.evidence.max_log_objects}). Narrow --hours.")
        current = [vault.locked(ctx, name), f"Subject: {kind} {subject}; window {start:%Y-%m-%d %H:%M} – "
                                           f"{end:%Y-%m-%d %H:%M} UTC"]
        current += [f"{label}: {len(keys)} object(s)" for label, keys in found.items()] or [
            "No CloudTrail trail, flow log or access log delivers to S3 for this subject"]
        changes = [f"Copy {total} log object(s) to s3://{name}/{vault.prefix(ctx)}/logs/ (SHA-256 of each recorded)"]
        return plan(ctx, current, changes if total else ["Nothing to copy: no log objects in the window"],
                    subject=f"{kind} {subject}", window=[start.isoformat(), end.isoformat()])

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        name = vault.bucket(ctx)
        kind, subject = subject_of(ctx)
        start, end = window(ctx)
        found = sources(ctx, kind, subject, start, end)
        items = []
        for label, keys in found.items():
            for source_bucket, key in keys[:ctx.evidence.max_log_objects - len(items)]:
                read = ctx.call("s3", "get_object", Bucket=source_bucket, Key=key)
                items.append(vault.put(
                    ctx, name, f"{vault.prefix(ctx)}/logs/{source_bucket}/{key}", read["Body"].read(),
                    source=f"s3://{source_bucket}/{key}", content_type="application/octet-stream",
                    note=vault.HASH_NOTE + f"; {label} file copied whole (filter by {kind} {subject})",
                    log=label, source_version_id=read.get("VersionId"), source_etag=read.get("ETag")))
        by_log = ", ".join(f"{len(keys)} {label}" for label, keys in found.items()) or "none"
        return (f"{len(items)} log object(s) of {kind} {subject} copied to s3://{name}/{vault.prefix(ctx)}/logs/ "
                f"({by_log})", {"subject": f"{kind} {subject}", "evidence": items})

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return vault.check_objects(ctx, memory["evidence"]) or [("nothing to copy in the window", True)]


def subject_of(ctx: ActionContext) -> tuple[str, str]:
    """(instance | bucket | principal, name). A bare name is a bucket if S3 has one by that name."""
    target = ctx.job.target
    if re.fullmatch(INSTANCE, target):
        return "instance", target
    if target.startswith("arn:") and ":s3:::" in target:
        return "bucket", target.split(":::", 1)[1].split("/", 1)[0]
    if target.startswith("arn:") or not re.fullmatch(BUCKET, target):
        return "principal", target
    try:
        ctx.call("s3", "get_bucket_logging", Bucket=target)
    except AwsActionError as exc:
        if exc.code in ("NoSuchBucket", "InvalidBucketName", "AccessDenied"):
            return "principal", target
        raise
    return "bucket", target


def window(ctx: ActionContext) -> tuple[datetime, datetime]:
    raw = str(ctx.job.options.get("hours") or DEFAULT_HOURS)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HOURS:
        raise UsageError(f"--hours takes a whole number of hours from 1 to {MAX_HOURS}, got {raw!r}.")
    end = datetime.now(timezone.utc)
    return end - timedelta(hours=int(raw)), end


def sources(ctx: ActionContext, kind: str, subject: str, start: datetime, end: datetime) -> dict[str, list]:
    """label → [(bucket, key)] of the log objects to copy, read-only."""
    found: dict[str, list] = {}
    for trail in ctx.call("cloudtrail", "describe_trails")["trailList"]:
        if trail.get("S3BucketName"):
            for base in _trail_bases(ctx, trail):
                keys = _dated(ctx, trail["S3BucketName"], base, start, end)
                if keys:
                    found.setdefault(f"CloudTrail ({trail.get('Name')})", []).extend(keys)
    if kind == "instance":
        facts = ec2_lookup.instance(ctx, subject)
        resources = [r for r in [facts.vpc, *facts.subnets, *facts.enis] if r]
        logs = ctx.call("ec2", "describe_flow_logs", Filters=[{"Name": "resource-id", "Values": resources}])
        for flow in logs.get("FlowLogs", []):
            if flow.get("LogDestinationType") == "s3" and flow.get("LogDestination"):
                bucket, _, prefix = flow["LogDestination"].split(":::", 1)[1].partition("/")
                base = _base(prefix) + f"AWSLogs/{ctx.account}/vpcflowlogs/{ctx.job.region}/"
                keys = _dated(ctx, bucket, base, start, end)
                if keys:
                    found.setdefault(f"VPC flow logs ({flow.get('FlowLogId')})", []).extend(keys)
    if kind == "bucket":
        logging = ctx.call("s3", "get_bucket_logging", Bucket=subject).get("LoggingEnabled") or {}
        if logging.get("TargetBucket"):
            prefix = logging.get("TargetPrefix") or ""
            keys = _listed(ctx, logging["TargetBucket"], prefix, start_after=prefix + f"{start:%Y-%m-%d-%H-%M-%S}")
            last = prefix + f"{end + LATE:%Y-%m-%d-%H-%M-%S}"
            keys = [(b, k) for b, k in keys if k <= last]
            if keys:
                found[f"S3 access logs of {subject}"] = keys
    seen: set = set()  # a multi-region trail is listed in every region: copy each object once
    unique = {label: [k for k in dict.fromkeys(keys) if not (k in seen or seen.add(k))] for label, keys in found.items()}
    return {label: keys for label, keys in unique.items() if keys}


def _trail_bases(ctx: ActionContext, trail: dict) -> list[str]:
    """Where the account's files for this region are: AWSLogs/<account>/… or, for an
    organization trail, AWSLogs/<o-…>/<account>/… (the organization id read from the bucket)."""
    root = _base(trail.get("S3KeyPrefix")) + "AWSLogs/"
    tail = f"{ctx.account}/CloudTrail/{ctx.job.region}/"
    if not trail.get("IsOrganizationTrail"):
        return [root + tail]
    listed = ctx.call("s3", "list_objects_v2", Bucket=trail["S3BucketName"], Prefix=root, Delimiter="/")
    orgs = [p["Prefix"] for p in listed.get("CommonPrefixes", []) if p["Prefix"][len(root):].startswith("o-")]
    return [org + tail for org in orgs] + [root + tail]


def _base(prefix: str | None) -> str:
    return f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""


def _dated(ctx: ActionContext, bucket: str, base: str, start: datetime, end: datetime) -> list[tuple[str, str]]:
    """Objects under base/YYYY/MM/DD/ of each day in the window whose file name's time is in it."""
    keys, day = [], start.date()
    while day <= (end + LATE).date():
        for b, key, modified in _listed(ctx, bucket, f"{base}{day:%Y/%m/%d}/", with_time=True):
            stamp = STAMP.search(key)
            at = (datetime.strptime(stamp.group(1), "%Y%m%dT%H%M").replace(tzinfo=timezone.utc) if stamp
                  else modified)
            if start - timedelta(minutes=5) <= at <= end + LATE:
                keys.append((b, key))
        day += timedelta(days=1)
    return keys


def _listed(ctx: ActionContext, bucket: str, prefix: str, *, start_after: str | None = None,
            with_time: bool = False) -> list[tuple]:
    found, token = [], None
    while True:
        page = ctx.call("s3", "list_objects_v2", Bucket=bucket, Prefix=prefix,
                        **({"ContinuationToken": token} if token else {}),
                        **({"StartAfter": start_after} if start_after and not token else {}))
        for obj in page.get("Contents", []):
            found.append((bucket, obj["Key"], obj["LastModified"]) if with_time else (bucket, obj["Key"]))
        token = page.get("NextContinuationToken")
        if not token or len(found) > ctx.evidence.max_log_objects:
            return found
