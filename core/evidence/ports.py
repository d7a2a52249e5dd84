"""What chain-of-custody verification needs from the cloud, as an interface (aws/ implements it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from datetime import datetime
from core.evidence.model import EvidenceItem


@dataclass(frozen=True)
class Reading:
    """An object version read back: its SHA-256 and size, or why its bytes could not be trusted."""

    sha256: str | None
    size: int | None
    problem: str | None = None  # e.g. S3's own stored checksum no longer matches the bytes


class EvidenceReader(Protocol):
    def object_sha256(self, *, account: str, region: str, bucket: str, key: str,
                      version_id: str | None) -> Reading | None:
        """Exactly that object version, read back in full and hashed; None if it is gone."""

    def snapshot_tags(self, *, account: str, region: str, snapshot_id: str) -> dict[str, str] | None:
        """The snapshot's tags; None if it no longer exists."""


class EvidenceRepository(Protocol):
    """The chain-of-custody manifest: one row per collected item, each written with its audit entry."""

    def record(self, rows: list[dict], at: datetime) -> list[EvidenceItem]:
        """Insert rows not yet recorded (keyed by request and location); the items now stored for them."""

    def for_incident(self, incident_id: int) -> list[EvidenceItem]: ...
