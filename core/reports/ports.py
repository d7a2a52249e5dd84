"""What the program report reads beyond the incidents `stats` measures: findings, snoozes,
containment requests and action items, each as a small fact (no ORM rows leave the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.incidents.model import ActionItem


@dataclass(frozen=True)
class FindingFact:
    type: str
    source: str
    account: str | None
    status: str  # open | suppressed | snoozed | dismissed
    incident_id: int | None
    drill: bool = False  # delivered by a drill (tagged so): never counted with real findings


@dataclass(frozen=True)
class ContainmentFact:
    action: str
    state: str
    incident_id: int
    requested_at: datetime
    decided_at: datetime | None
    dry_run: bool
    undo: bool


class ReportQueryRepository(Protocol):
    def findings_received(self, since: datetime, until: datetime) -> list[FindingFact]:
        """Findings first received in [since, until)."""

    def snoozes_set(self, since: datetime, until: datetime) -> int:
        """Snoozes set in [since, until) that are still on record (a scope snoozed again keeps
        only its latest)."""

    def containment_requested(self, since: datetime, until: datetime) -> list[ContainmentFact]: ...

    def action_items(self, incident_ids: list[int]) -> list[ActionItem]: ...

    def origins(self, incident_ids: list[int]) -> dict[int, tuple[str, str | None]]:
        """incident -> (source, account) of its earliest linked finding (none: not in the map)."""
