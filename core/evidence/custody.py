"""Chain of custody: every item an `/evidence` action collected becomes a manifest row (with
an audit-chain entry in the same transaction), and `verify` re-checks each one against AWS.

Actions report what they collected in their outcome's memory under "evidence" (a list of
plain dicts: kind, location, account, region, sha256, size, source, note, detail); the
manifest follows every finished run (the ContainmentFinished event), so it is written the
same way for a click, a playbook step, an auto-approval or a run resumed after a crash.
Recording is keyed by (request, location): a second call records nothing twice.

The audit entry written with each row holds what identifies the item (location, bucket, key,
version id, SHA-256, size, snapshot id and tags): `verify` checks every row against its
chained entry first, and refuses a row that has none, or whose entry the chain no longer
vouches for, so a forged or edited manifest row cannot pass by pointing at other bytes."""

from __future__ import annotations

import logging

from core.audit import service as audit
from core.containment.model import SUCCEEDED, ContainRequest
from core.errors import UsageError
from core.events import ContainmentFinished
from core.evidence.model import (MISMATCH, MISSING, NOT_REHASHED, OBJECT, OK, SNAPSHOT, EvidenceItem, Verdict)
from core.services import Services

log = logging.getLogger("firebreak.evidence")
MEMORY_KEY = "evidence"


def collected(request: ContainRequest) -> list[dict]:
    """The items a succeeded request reports (none for other families or failed runs)."""
    if request.state != SUCCEEDED or request.family.command != "evidence":
        return []
    return [i for i in (request.memory or {}).get(MEMORY_KEY) or [] if isinstance(i, dict)]


def record(services: Services, request: ContainRequest) -> list[EvidenceItem]:
    """Write the request's items into the manifest (idempotent); [] when it collected none."""
    items = collected(request)
    repo = services.repos.evidence
    if not items:
        return []
    rows = [{"incident_id": request.incident_id, "request_id": request.id, "request_label": request.label,
             "action": request.action, "kind": i["kind"], "location": i["location"],
             "account": i.get("account") or request.account, "region": i.get("region") or request.region,
             "sha256": i.get("sha256"), "size": i.get("size"), "source": i.get("source", "")[:1000],
             "note": i.get("note", "")[:2000], "requested_by": request.requested_by,
             "approved_by": request.decided_by, "collected_at": request.finished_at or services.clock.now(),
             "detail": i.get("detail") or {}} for i in items]
    stored = repo.record(rows, services.clock.now())
    hashed = sum(1 for item in stored if item.sha256)
    services.incidents.add_timeline(
        request.incident_id, kind=request.family.timeline, at=services.clock.now(), actor=None,
        text=f"Evidence recorded in the chain of custody: {len(stored)} item(s), {hashed} with a SHA-256 "
             f"({request.label} {request.action} {request.target})",
        data={"request": request.id, "step": "recorded", "items": len(stored)},
        dedup_key=f"evidence:{request.id}:recorded")
    return stored


def on_containment_finished(services: Services, event: ContainmentFinished) -> None:
    """Subscriber: what an evidence action collected goes into the manifest. The request has
    succeeded whatever happens here; the items stay in its memory, so a failure to record is
    logged loudly and `record` can be run again."""
    try:
        record(services, event.request)
    except Exception:  # noqa: BLE001 - never turn a collected item into a failed collection
        log.exception("evidence of %s collected but not recorded in the manifest", event.request.label)


def manifest(services: Services, incident_id: int) -> list[EvidenceItem]:
    return services.repos.evidence.for_incident(incident_id)


IDENTITY = ("kind", "location", "account", "region", "sha256", "size")  # the row's own columns
DETAIL_IDENTITY = ("bucket", "key", "version_id", "snapshot_id", "tags")  # from the row's detail


def custody_entry(row: dict) -> dict:
    """What the audit entry written with a manifest row holds of it: every field verify reads."""
    detail = row.get("detail") or {}
    return {**{name: row.get(name) for name in IDENTITY},
            **{name: detail[name] for name in DETAIL_IDENTITY if name in detail}}


def verify(services: Services, incident_id: int) -> list[Verdict]:
    """Check every row against its audit-chain entry, then re-hash every object (that exact
    version) and re-read every snapshot's tags; each item's verdict."""
    if services.incidents.get(incident_id) is None:
        raise UsageError(f"There is no incident {incident_id}.")
    items = manifest(services, incident_id)
    chain = audit.check(services) if items else None
    entries = {}
    for request_id in dict.fromkeys(item.request_id for item in items):
        entries.update({e.get("item"): e for e in services.repos.audit.for_request(request_id)
                        if e.get("event") == "evidence-recorded"})
    return [_unchained(item, entries.get(item.id), chain) or _verdict(services.evidence_reader, item)
            for item in items]


def _unchained(item: EvidenceItem, entry: dict | None, chain) -> Verdict | None:
    """A MISMATCH when the row is not what its chained audit entry recorded (None: it is)."""
    if entry is None:
        return Verdict(item, MISMATCH, "no audit-chain entry records this manifest row: it was not written by "
                                       "Firebreak (refused, nothing re-hashed)")
    if chain is not None and chain.broken_at is not None and entry.get("seq", 0) >= chain.broken_at:
        return Verdict(item, MISMATCH, f"its audit entry {entry.get('seq')} is at or after where the audit chain "
                                       f"is broken (entry {chain.broken_at}): `bot.py audit verify`")
    row = {**{name: getattr(item, name) for name in IDENTITY}, **item.detail}
    changed = [name for name in (*IDENTITY, *DETAIL_IDENTITY) if name in entry and entry[name] != row.get(name)]
    if item.kind == OBJECT and "bucket" not in entry:  # entries from before they held the detail
        changed += [] if _location(item.detail) == entry.get("location") else ["bucket/key/version_id"]
    if changed:
        return Verdict(item, MISMATCH, f"the manifest row differs from its audit entry {entry.get('seq')} in "
                                       f"{', '.join(changed)}: it was changed after it was recorded")
    return None


def _location(detail: dict) -> str:
    version = detail.get("version_id")
    return f"s3://{detail.get('bucket')}/{detail.get('key')}" + (f"?versionId={version}" if version else "")


def _verdict(reader, item: EvidenceItem) -> Verdict:
    detail = item.detail
    if item.kind == SNAPSHOT:
        tags = reader.snapshot_tags(account=item.account, region=item.region, snapshot_id=detail["snapshot_id"])
        if tags is None:
            return Verdict(item, MISSING, f"snapshot {detail['snapshot_id']} no longer exists")
        recorded = detail.get("tags") or {}
        changed = sorted(k for k in recorded if tags.get(k) != recorded[k])
        if changed:
            return Verdict(item, MISMATCH, f"tags changed since collection: {', '.join(changed)}")
        return Verdict(item, NOT_REHASHED, "snapshot exists with the recorded tags (no byte hash to re-compute)")
    if item.kind != OBJECT or not item.sha256:
        return Verdict(item, NOT_REHASHED, item.note or "nothing was hashed when it was collected")
    found = reader.object_sha256(account=item.account, region=item.region, bucket=detail["bucket"],
                                 key=detail["key"], version_id=detail.get("version_id"))
    if found is None:
        return Verdict(item, MISSING, f"object version {detail.get('version_id')} is gone")
    if found.problem:
        return Verdict(item, MISMATCH, found.problem)
    if found.sha256 != item.sha256:
        return Verdict(item, MISMATCH, f"SHA-256 now {found.sha256}, recorded {item.sha256} ({found.size} bytes)")
    return Verdict(item, OK, f"SHA-256 matches ({found.size} bytes)")


def failed(verdicts: list[Verdict]) -> bool:
    return any(v.status in (MISMATCH, MISSING) for v in verdicts)


def as_dict(item: EvidenceItem) -> dict:
    """The manifest row as export and the postmortem show it."""
    return {"request": item.request_label, "action": item.action, "kind": item.kind, "location": item.location,
            "account": item.account, "region": item.region, "sha256": item.sha256, "version_id": item.version_id,
            "size": item.size, "source": item.source, "requested_by": item.requested_by,
            "approved_by": item.approved_by, "collected_at": item.collected_at.isoformat(), "note": item.note,
            "detail": item.detail}
