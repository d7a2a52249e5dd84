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
arrival, which an Object Lock bucket's uploads require anyway. They are streamed through a
spooled temporary file (a few MB in memory at most), and an object larger than
`evidence.max_log_object_bytes` is recorded as skipped instead of read.

Where the logs are is read from the target account itself (its trails, flow logs, bucket
logging), which an intruder there can point anywhere. So each location says where it was
learnt (which trail, flow log or bucket setting), in the plan and in each manifest entry,
and a bucket outside `evidence.log_archive_buckets` is flagged."""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
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
CHUNK = 1024 * 1024
IN_MEMORY = 8 * CHUNK  # a spooled copy beyond this goes to a temporary file


@dataclass
class Location:
    """Log objects of one kind, and where Firebreak learnt that they are there."""

    label: str
    bucket: str
    origin: str  # e.g. "trail arn:… (DescribeTrails in 123456789012)"
    in_archive: bool
    keys: list[tuple[str, str, int]] = field(default_factory=list)  # (bucket, key, size)

    def facts(self) -> dict:
        return {"label": self.label, "bucket": self.bucket, "origin": self.origin, "in_log_archive": self.in_archive,
                "objects": len(self.keys)}


class CollectLogs(vault.Kept):
    spec = SPECS["collect-logs"]

    def plan(self, ctx: ActionContext) -> Plan:
        name = vault.bucket(ctx)
        kind, subject = subject_of(ctx)
        start, end = window(ctx)
        found = sources(ctx, kind, subject, start, end)
        total = sum(len(loc.keys) for loc in found)
        if total > ctx.evidence.max_log_objects:
            raise UsageError(f"{total} log objects in the window: more than evidence.max_log_objects "
                             f"({ctx.evidence.max_log_objects}). Narrow --hours.")
        cap = ctx.evidence.max_log_object_bytes
        current = [vault.locked(ctx, name), f"Subject: {kind} {subject}; window {start:%Y-%m-%d %H:%M} – "
                                           f"{end:%Y-%m-%d %H:%M} UTC"]
        for loc in found:
            current.append(f"{loc.label}: {len(loc.keys)} object(s) in s3://{loc.bucket}/, learnt from {loc.origin}")
            if not loc.in_archive:
                current.append(f":warning: s3://{loc.bucket}/ is {_outside(ctx)}: the target account chose this "
                               "location, and whoever controls that account can point it at logs of their own")
        if not found:
            current.append("No CloudTrail trail, flow log or access log delivers to S3 for this subject")
        large = [k for loc in found for k in loc.keys if k[2] > cap]
        if large:
            current.append(f"{len(large)} object(s) larger than evidence.max_log_object_bytes ({cap} bytes) "
                           "will be recorded as skipped, not copied")
        changes = [f"Copy {total - len(large)} log object(s) to s3://{name}/{vault.prefix(ctx)}/logs/ "
                   "(streamed; SHA-256 of each recorded)"]
        return plan(ctx, current, changes if total else ["Nothing to copy: no log objects in the window"],
                    subject=f"{kind} {subject}", window=[start.isoformat(), end.isoformat()],
                    locations=[loc.facts() for loc in found])

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        name = vault.bucket(ctx)
        kind, subject = subject_of(ctx)
        start, end = window(ctx)
        found = sources(ctx, kind, subject, start, end)
        items: list[dict] = []
        skipped: list[dict] = []
        for loc in found:
            for source_bucket, key, _size in loc.keys[:max(ctx.evidence.max_log_objects - len(items), 0)]:
                copied = _copy(ctx, name, loc, source_bucket, key, kind, subject)
                (items if "sha256" in copied else skipped).append(copied)
        by_log = ", ".join(f"{len(loc.keys)} {loc.label}" for loc in found) or "none"
        flagged = [loc.bucket for loc in found if not loc.in_archive]
        text = (f"{len(items)} log object(s) of {kind} {subject} copied to s3://{name}/{vault.prefix(ctx)}/logs/ "
                f"({by_log})")
        if skipped:
            text += f"; {len(skipped)} skipped, larger than evidence.max_log_object_bytes"
        if flagged:
            text += f"; outside the log archive: {', '.join(dict.fromkeys(flagged))}"
        return text, {"subject": f"{kind} {subject}", "evidence": items, "skipped": skipped,
                      "locations": [loc.facts() for loc in found]}

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


def _outside(ctx: ActionContext) -> str:
    return ("outside evidence.log_archive_buckets" if ctx.evidence.log_archive_buckets else
            "unverified (evidence.log_archive_buckets is empty)")


def sources(ctx: ActionContext, kind: str, subject: str, start: datetime, end: datetime) -> list[Location]:
    """The log objects to copy, by where they were learnt from, read-only."""
    found: list[Location] = []
    archive = set(ctx.evidence.log_archive_buckets)

    def add(label: str, bucket: str, origin: str, keys: list) -> None:
        if keys:
            found.append(Location(label, bucket, origin, bucket in archive, keys))

    for trail in ctx.call("cloudtrail", "describe_trails")["trailList"]:
        if trail.get("S3BucketName"):
            keys = [k for base in _trail_bases(ctx, trail) for k in _dated(ctx, trail["S3BucketName"], base, start, end)]
            add(f"CloudTrail ({trail.get('Name')})", trail["S3BucketName"],
                f"trail {trail.get('TrailARN') or trail.get('Name')} (DescribeTrails in {ctx.account}/{ctx.job.region})",
                keys)
    if kind == "instance":
        facts = ec2_lookup.instance(ctx, subject)
        resources = [r for r in [facts.vpc, *facts.subnets, *facts.enis] if r]
        logs = ctx.call("ec2", "describe_flow_logs", Filters=[{"Name": "resource-id", "Values": resources}])
        for flow in logs.get("FlowLogs", []):
            if flow.get("LogDestinationType") == "s3" and flow.get("LogDestination"):
                bucket, _, prefix = flow["LogDestination"].split(":::", 1)[1].partition("/")
                base = _base(prefix) + f"AWSLogs/{ctx.account}/vpcflowlogs/{ctx.job.region}/"
                add(f"VPC flow logs ({flow.get('FlowLogId')})", bucket,
                    f"flow log {flow.get('FlowLogId')} of {flow.get('ResourceId')} (DescribeFlowLogs in "
                    f"{ctx.account}/{ctx.job.region})", _dated(ctx, bucket, base, start, end))
    if kind == "bucket":
        logging = ctx.call("s3", "get_bucket_logging", Bucket=subject).get("LoggingEnabled") or {}
        if logging.get("TargetBucket"):
            prefix = logging.get("TargetPrefix") or ""
            keys = _listed(ctx, logging["TargetBucket"], prefix, start_after=prefix + f"{start:%Y-%m-%d-%H-%M-%S}")
            last = prefix + f"{end + LATE:%Y-%m-%d-%H-%M-%S}"
            add(f"S3 access logs of {subject}", logging["TargetBucket"],
                f"the server access logging of bucket {subject} (GetBucketLogging in {ctx.account})",
                [(b, k, size) for b, k, size, _ in keys if k <= last])
    seen: set = set()  # a multi-region trail is listed in every region: copy each object once
    for loc in found:
        loc.keys = [k for k in dict.fromkeys(loc.keys) if not (k[:2] in seen or seen.add(k[:2]))]
    return [loc for loc in found if loc.keys]


def _copy(ctx: ActionContext, name: str, loc: Location, source_bucket: str, key: str, kind: str,
          subject: str) -> dict:
    """Stream one object into the evidence bucket, hashing as it is read; an object beyond
    the size cap is not read at all and comes back as a skipped record (no sha256)."""
    cap = ctx.evidence.max_log_object_bytes
    where = {"origin": loc.origin, "in_log_archive": loc.in_archive, "log": loc.label}
    read = ctx.call("s3", "get_object", Bucket=source_bucket, Key=key)
    body = read["Body"]
    size = read.get("ContentLength")
    if size is not None and size > cap:
        body.close()
        return {"source": f"s3://{source_bucket}/{key}", "size": size, "reason": f"larger than {cap} bytes", **where}
    digest, copied = hashlib.sha256(), 0
    with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY) as spool:
        for chunk in iter(lambda: body.read(CHUNK), b""):
            copied += len(chunk)
            if copied > cap:  # the object grew past what it said: stop reading
                body.close()
                return {"source": f"s3://{source_bucket}/{key}", "size": copied,
                        "reason": f"larger than {cap} bytes", **where}
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        flag = "" if loc.in_archive else f"; location {_outside(ctx)}"
        return vault.put_hashed(
            ctx, name, f"{vault.prefix(ctx)}/logs/{source_bucket}/{key}", spool, digest.digest(), copied,
            source=f"s3://{source_bucket}/{key}", content_type="application/octet-stream",
            note=vault.HASH_NOTE + f"; {loc.label} file copied whole (filter by {kind} {subject}); "
                                   f"location learnt from {loc.origin}{flag}",
            source_version_id=read.get("VersionId"), source_etag=read.get("ETag"), **where)


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


def _dated(ctx: ActionContext, bucket: str, base: str, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
    """Objects under base/YYYY/MM/DD/ of each day in the window whose file name's time is in it."""
    keys, day = [], start.date()
    while day <= (end + LATE).date():
        for b, key, size, modified in _listed(ctx, bucket, f"{base}{day:%Y/%m/%d}/"):
            stamp = STAMP.search(key)
            at = (datetime.strptime(stamp.group(1), "%Y%m%dT%H%M").replace(tzinfo=timezone.utc) if stamp
                  else modified)
            if start - timedelta(minutes=5) <= at <= end + LATE:
                keys.append((b, key, size))
        day += timedelta(days=1)
    return keys


def _listed(ctx: ActionContext, bucket: str, prefix: str, *, start_after: str | None = None) -> list[tuple]:
    """(bucket, key, size, last modified) of the objects under prefix."""
    found, token = [], None
    while True:
        page = ctx.call("s3", "list_objects_v2", Bucket=bucket, Prefix=prefix,
                        **({"ContinuationToken": token} if token else {}),
                        **({"StartAfter": start_after} if start_after and not token else {}))
        for obj in page.get("Contents", []):
            found.append((bucket, obj["Key"], int(obj.get("Size") or 0), obj["LastModified"]))
        token = page.get("NextContinuationToken")
        if not token or len(found) > ctx.evidence.max_log_objects:
            return found
