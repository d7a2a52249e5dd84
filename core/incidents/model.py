"""Domain records handed between core, store and handlers (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# AWS / NIST incident lifecycle, in order; "closed" ends it.
PHASES = ("detection", "analysis", "containment", "eradication", "recovery", "post-incident", "closed")
ACTIVE_PHASES = PHASES[:5]
# How an incident ended, when not a real incident resolved: neither counts in response metrics.
FALSE_POSITIVE, CANCELLED = "false-positive", "cancelled"
UNMEASURED = (CANCELLED, FALSE_POSITIVE)


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
    description: str = ""
    private: bool = False
    channel_name: str | None = None
    summary_ts: str | None = None
    announce_channel: str | None = None
    announce_ts: str | None = None
    phase_times: dict = field(default_factory=dict)
    last_update_at: datetime | None = None
    roles: dict = field(default_factory=dict)  # role -> Slack user id
    playbook: str | None = None
    playbook_state: dict = field(default_factory=dict)
    postmortem: dict = field(default_factory=dict)
    resolution: str | None = None  # None (resolved), FALSE_POSITIVE or CANCELLED
    resolution_reason: str | None = None
    drill: dict = field(default_factory=dict)  # a response drill's mark and state (core/drills); {}: real

    @property
    def is_drill(self) -> bool:
        return bool(self.drill)

    @property
    def label(self) -> str:
        return f"#{self.id}"

    @property
    def is_open(self) -> bool:
        return self.phase != "closed"

    @property
    def cancelled(self) -> bool:
        return self.resolution == CANCELLED

    @property
    def measured(self) -> bool:
        """Counted in the response metrics: not cancelled, not a false positive."""
        return self.resolution not in UNMEASURED


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    incident_id: int
    at: datetime
    kind: str
    actor: str | None
    text: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ActionItem:
    id: int
    incident_id: int
    text: str
    owner: str | None
    due: date | None
    created_by: str
    created_at: datetime
    done_by: str | None = None
    done_at: datetime | None = None


@dataclass
class Mutation:
    """What one command changes on an incident, applied atomically by the store:
    column changes, role changes and the timeline entries that describe them."""

    changes: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)  # role -> user id
    timeline: list = field(default_factory=list)  # (kind, actor, text, data)

    def note(self, kind: str, actor: str | None, text: str, **data) -> "Mutation":
        self.timeline.append((kind, actor, text, data))
        return self
