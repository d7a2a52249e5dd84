"""Domain records handed between core, store and handlers (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# AWS / NIST incident lifecycle, in order; "closed" ends it.
PHASES = ("detection", "analysis", "containment", "eradication", "recovery", "post-incident", "closed")


@dataclass(frozen=True)
class Incident:
    id: int
    title: str
    severity: str
    category: str
    phase: str
    declared_by: str
    declared_at: datetime
    updated_at: datetime
    origin_channel: str | None = None
    channel_id: str | None = None
    version: int = 1

    @property
    def label(self) -> str:
        return f"#{self.id}"


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    incident_id: int
    at: datetime
    kind: str
    actor: str | None
    text: str
    data: dict = field(default_factory=dict)
