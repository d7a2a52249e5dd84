"""A containment request as it moves through its states (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.containment.catalog import FAMILIES, SPECS, Family
from core.errors import FirebreakError

REQUESTED, APPROVED, EXECUTING = "requested", "approved", "executing"
SUCCEEDED, FAILED, UNKNOWN = "succeeded", "failed", "failed-unknown"
DENIED, EXPIRED, PLANNED, UNDONE = "denied", "expired", "planned", "undone"
ALREADY = "already-done"  # the target was already in the wanted state: nothing to approve or run
OPEN_STATES = (REQUESTED, APPROVED, EXECUTING)


class ActionFailed(FirebreakError):
    """An action could not be completed; `code` is AWS's error code when AWS refused."""

    def __init__(self, message: str, code: str | None = None, rolled_back: bool = False):
        super().__init__(message)
        self.code = code
        self.rolled_back = rolled_back


@dataclass(frozen=True)
class ContainRequest:
    id: int
    incident_id: int
    action: str
    target: str
    options: dict
    account: str
    region: str
    state: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    plan: dict
    undo_of: int | None = None
    dry_run: bool = False
    decided_by: str | None = None
    decided_at: datetime | None = None
    memory: dict = field(default_factory=dict)
    outcome: dict = field(default_factory=dict)  # summary, checks, verified
    error_code: str | None = None
    error: str | None = None
    decision_note: str | None = None  # the reason given with a denial
    message_channel: str | None = None
    message_ts: str | None = None
    finished_at: datetime | None = None
    seal: str | None = None  # MACs made when Firebreak wrote them (core/containment/seals.py)
    approval_seal: str | None = None
    memory_seal: str | None = None

    @property
    def family(self) -> Family:
        """Containment, evidence or remediation: from the action (the catalog's names are unique)."""
        spec = SPECS.get(self.action)
        return FAMILIES[spec.family if spec else "contain"]

    @property
    def label(self) -> str:
        return f"{self.family.prefix}{self.id}"

    @property
    def is_undo(self) -> bool:
        return self.undo_of is not None

    @property
    def title(self) -> str:
        return f"{'undo ' if self.is_undo else ''}{self.action} {self.target}"
