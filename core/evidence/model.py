"""One collected item of evidence as the chain-of-custody manifest keeps it (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SNAPSHOT, OBJECT, SSM_OUTPUT = "snapshot", "object", "ssm-output"
KINDS = (SNAPSHOT, OBJECT, SSM_OUTPUT)
NOT_REHASHABLE = ("an EBS snapshot has no byte hash Firebreak can re-compute; its identity is the snapshot id "
                  "and its tags, checked on verify")

# Verdicts of `bot.py evidence verify`.
OK, MISMATCH, MISSING, NOT_REHASHED = "OK", "MISMATCH", "MISSING", "NOT RE-HASHABLE"


@dataclass(frozen=True)
class EvidenceItem:
    id: int
    incident_id: int
    request_id: int
    request_label: str
    action: str
    kind: str  # snapshot | object | ssm-output
    location: str  # s3://bucket/key?versionId=… or snapshot:snap-…
    account: str
    region: str
    sha256: str | None  # hex, over the bytes as written; None where nothing can be re-hashed
    size: int | None  # bytes (objects), GiB (snapshots: the volume's size)
    source: str  # what it was collected from
    note: str  # the custody note: how it was taken, what can be checked later
    requested_by: str
    approved_by: str | None
    collected_at: datetime
    detail: dict = field(default_factory=dict)  # bucket, key, version_id, snapshot_id, tags, command id, …

    @property
    def version_id(self) -> str | None:
        return self.detail.get("version_id")


@dataclass(frozen=True)
class Verdict:
    item: EvidenceItem
    status: str  # OK | MISMATCH | MISSING | NOT RE-HASHABLE
    detail: str
