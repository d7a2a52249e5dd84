"""Forensic EBS snapshots of an instance's volumes, tagged with the incident, volume,
device and instance (used by snapshot-instance and isolate-instance --snapshot).

Snapshots are evidence: Firebreak never deletes one, not even to roll back a failed
isolation (the snapshots taken stay, tagged with the request), so its IAM policy holds no
ec2:DeleteSnapshot and a compromised Firebreak cannot destroy evidence."""

from __future__ import annotations

from aws.actions import ec2_lookup
from aws.actions.base import ActionContext, Checks, Steps, log, tags


def changes(facts: ec2_lookup.InstanceFacts) -> list[str]:
    return [f"Snapshot {volume} ({device})" for volume, device in facts.volumes.items()] or [
        "No EBS volumes to snapshot"]


def take(ctx: ActionContext, facts: ec2_lookup.InstanceFacts, steps: Steps) -> list[str]:
    taken = []
    for volume, device in facts.volumes.items():
        labels = tags(ctx) + [{"Key": "firebreak:volume", "Value": volume}, {"Key": "firebreak:device", "Value": device},
                              {"Key": "firebreak:instance", "Value": facts.id}]
        snapshot = ctx.call("ec2", "create_snapshot", VolumeId=volume,
                            Description=f"Firebreak forensic snapshot, incident {ctx.job.incident_id}, "
                                        f"{facts.id} {device}",
                            TagSpecifications=[{"ResourceType": "snapshot", "Tags": labels}])["SnapshotId"]
        log.info("forensic snapshot %s of %s (%s) taken; kept even if a later step fails", snapshot, volume, device)
        taken.append(snapshot)
    return taken


def check(ctx: ActionContext, snapshot_ids: list[str]) -> Checks:
    if not snapshot_ids:
        return []
    found = ctx.call("ec2", "describe_snapshots", SnapshotIds=snapshot_ids)["Snapshots"]
    states = {s["SnapshotId"]: s["State"] for s in found}
    return [(f"snapshot {s} exists ({states.get(s, 'missing')})", states.get(s) in ("pending", "completed"))
            for s in snapshot_ids]
