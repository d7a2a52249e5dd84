"""collect-disk: a snapshot of every EBS volume of the instance, tagged with the incident,
request, volume, device and instance; where a volume is encrypted and evidence.kms_key_id is
set, an encrypted copy under that key (so it can be shared); with --share ACCOUNT, the
snapshots are shared (createVolumePermission) with the forensics account — only that one,
or one listed in evidence.share_accounts, never another.

Snapshots are evidence: nothing here is rolled back or deleted (see aws/actions/snapshots.py)."""

from __future__ import annotations

from aws.actions import ec2_lookup, snapshots
from aws.actions.base import ActionContext, Checks, Steps, plan, tags
from aws.actions.evidence import vault
from core.containment.catalog import SPECS, Plan
from core.errors import UsageError
from core.evidence.model import NOT_REHASHABLE


class CollectDisk(vault.Kept):
    spec = SPECS["collect-disk"]

    def plan(self, ctx: ActionContext) -> Plan:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        volumes = _volumes(ctx, list(facts.volumes))
        share = _share(ctx)
        current = [f"Instance {facts.id} {facts.name!r} ({facts.state}), {len(facts.volumes)} EBS volume(s)"]
        current += [f"{v} ({facts.volumes[v]}): {d['size']} GiB, "
                    + (f"encrypted with {d['kms']}" if d["encrypted"] else "not encrypted") for v, d in volumes.items()]
        changes = snapshots.changes(facts)
        key = ctx.evidence.kms_key_id
        for volume, d in volumes.items():
            if d["encrypted"] and key:
                changes.append(f"Copy the snapshot of {volume} encrypted with {key}")
            elif d["encrypted"] and not share:
                changes.append(f"No encrypted copy of {volume}'s snapshot (evidence.kms_key_id is not set)")
            elif d["encrypted"] and share:
                raise UsageError(f"{volume} is encrypted and evidence.kms_key_id is not set: its snapshot cannot "
                                 f"be re-encrypted for {share}. Set evidence.kms_key_id (a key the forensics "
                                 "account may use), or collect without --share.")
        if share:
            changes.append(f"Share the snapshots{' (the encrypted copies)' if key else ''} with account {share} "
                           "(createVolumePermission)")
        return plan(ctx, current, changes, subnets=facts.subnets, vpc=facts.vpc)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        share, key = _share(ctx), ctx.evidence.kms_key_id
        taken = snapshots.take(ctx, facts, steps)
        found = {s["SnapshotId"]: s for s in ctx.call("ec2", "describe_snapshots", SnapshotIds=taken)["Snapshots"]} \
            if taken else {}
        items, copies, notes, shared = [], {}, [], []
        for snapshot in taken:
            data = found.get(snapshot, {})
            volume = data.get("VolumeId", "")
            source = f"EBS volume {volume} ({facts.volumes.get(volume, '?')}) of {facts.id}"
            items.append(vault.snapshot_item(ctx, snapshot, data.get("Tags", []), data.get("VolumeSize"), source,
                                             volume=volume, encrypted=bool(data.get("Encrypted"))))
            if data.get("Encrypted") and key:
                copy = _copy(ctx, snapshot, volume, key)
                if copy:
                    copies[snapshot] = copy
                    items.append(vault.snapshot_item(ctx, copy, _tags_of(ctx, copy), data.get("VolumeSize"),
                                                     f"encrypted copy of {snapshot} ({source})",
                                                     NOT_REHASHABLE + f"; copy of {snapshot} under {key}",
                                                     volume=volume, copy_of=snapshot, kms_key_id=key))
                else:
                    notes.append(f"{snapshot} still pending after {ctx.evidence.wait_seconds}s: not copied")
        if share:  # an encrypted snapshot is shared as its copy under the configured key
            for snapshot in taken:
                target = copies.get(snapshot) if found.get(snapshot, {}).get("Encrypted") else snapshot
                if target is None:
                    continue
                ctx.call("ec2", "modify_snapshot_attribute", SnapshotId=target, Attribute="createVolumePermission",
                         OperationType="add", UserIds=[share])
                shared.append(target)
            for item in items:
                if item["detail"]["snapshot_id"] in shared:
                    item["detail"]["shared_with"] = share
        summary = f"{len(taken)} snapshot(s): {', '.join(taken) or 'none'}"
        summary += f"; encrypted copies {', '.join(copies.values())}" if copies else ""
        summary += f"; shared with {share}: {', '.join(shared)}" if shared else ""
        summary += f" ({'; '.join(notes)})" if notes else ""
        return summary, {"snapshots": taken, "copies": copies, "shared": shared, "share": share, "evidence": items}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        ids = [i["detail"]["snapshot_id"] for i in memory["evidence"]]
        checks = snapshots.check(ctx, ids)
        if ids:
            found = {s["SnapshotId"]: {t["Key"]: t["Value"] for t in s.get("Tags", [])}
                     for s in ctx.call("ec2", "describe_snapshots", SnapshotIds=ids)["Snapshots"]}
            wanted = {t["Key"]: t["Value"] for t in tags(ctx)}
            checks += [(f"{s} tagged with the incident and request",
                        all(found.get(s, {}).get(k) == v for k, v in wanted.items())) for s in ids]
        for snapshot in memory["shared"]:
            permitted = ctx.call("ec2", "describe_snapshot_attribute", SnapshotId=snapshot,
                                 Attribute="createVolumePermission")["CreateVolumePermissions"]
            checks.append((f"{snapshot} shared with {memory['share']}",
                           any(p.get("UserId") == memory["share"] for p in permitted)))
        return checks


def _share(ctx: ActionContext) -> str | None:
    """The account --share names, if the configuration allows it; refused otherwise."""
    account = ctx.job.options.get("share")
    if not account:
        return None
    account = str(account)
    if not ctx.evidence.may_share_with(account):
        allowed = [a for a in [ctx.evidence.forensics_account, *ctx.evidence.share_accounts] if a]
        raise UsageError(f"--share {account}: snapshots are shared only with the forensics account "
                         f"(evidence.forensics_account / share_accounts: {', '.join(allowed) or 'none configured'}).")
    return account


def _volumes(ctx: ActionContext, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    found = ctx.call("ec2", "describe_volumes", VolumeIds=ids)["Volumes"]
    return {v["VolumeId"]: {"size": v.get("Size"), "encrypted": bool(v.get("Encrypted")), "kms": v.get("KmsKeyId")}
            for v in found}


def _copy(ctx: ActionContext, snapshot: str, volume: str, key: str) -> str | None:
    """An encrypted copy under `key`, once the source completed (AWS copies only completed snapshots)."""
    def completed() -> bool:
        state = ctx.call("ec2", "describe_snapshots", SnapshotIds=[snapshot])["Snapshots"][0]["State"]
        if state == "error":
            raise UsageError(f"Snapshot {snapshot} failed in AWS (state error); it cannot be copied.")
        return state == "completed"

    if not vault.poll(completed, ctx.evidence.wait_seconds):
        return None
    labels = tags(ctx) + [{"Key": "firebreak:copy-of", "Value": snapshot}, {"Key": "firebreak:volume", "Value": volume}]
    return ctx.call("ec2", "copy_snapshot", SourceSnapshotId=snapshot, SourceRegion=ctx.job.region, Encrypted=True,
                    KmsKeyId=key, Description=f"Firebreak evidence, incident {ctx.job.incident_id}: encrypted copy "
                                              f"of {snapshot}",
                    TagSpecifications=[{"ResourceType": "snapshot", "Tags": labels}])["SnapshotId"]


def _tags_of(ctx: ActionContext, snapshot: str) -> list[dict]:
    found = ctx.call("ec2", "describe_snapshots", SnapshotIds=[snapshot])["Snapshots"]
    return found[0].get("Tags", []) if found else []
