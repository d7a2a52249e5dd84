"""What chain-of-custody verification needs from the cloud, as an interface (aws/ implements it)."""

from __future__ import annotations

from typing import Protocol


class EvidenceReader(Protocol):
    def object_sha256(self, *, account: str, region: str, bucket: str, key: str,
                      version_id: str | None) -> tuple[str, int] | None:
        """(SHA-256 hex, size) of exactly that object version, read back in full; None if it is gone."""

    def snapshot_tags(self, *, account: str, region: str, snapshot_id: str) -> dict[str, str] | None:
        """The snapshot's tags; None if it no longer exists."""
