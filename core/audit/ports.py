"""Where the chain's head is copied outside the database (an S3 Object Lock bucket in aws/),
so a database writer who cuts the tail and moves the head back is caught."""

from __future__ import annotations

from typing import Protocol

from core.audit.chain import Anchored
from datetime import datetime
from typing import Iterator
from core.audit.chain import AuditRecord


class Anchor(Protocol):
    def put(self, head: Anchored) -> str:
        """Store this head (never overwriting an earlier one); return where."""

    def latest(self) -> Anchored | None:
        """The anchored head with the highest seq, or None before the first."""


class AuditRepository(Protocol):
    def append(self, event: dict, at: datetime) -> int:
        """Add one entry at the end of the chain (keyed when a key is configured); its seq."""

    def records(self) -> Iterator[AuditRecord]: ...

    def head(self) -> tuple[int, str] | None: ...

    def for_request(self, request_id: int) -> list[dict]: ...

    def sealed_head(self) -> tuple[Anchored | None, str | None]:
        """The head as kept outside the database with the key (the head file), or why that copy
        cannot be trusted; (None, None) without a key or before the first keyed entry."""
