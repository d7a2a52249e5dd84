"""What investigation needs from AWS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.investigation.model import Event, Question


class EventHistory(Protocol):
    def lookup(self, question: Question, *, start: datetime, end: datetime, account: str | None,
               region: str) -> tuple[list[Event], bool]:
        """CloudTrail management events about the subject in the window, and whether there
        were more than one answer reads. Read-only; raises a FirebreakError saying why it
        failed (permission, throttling)."""


@dataclass(frozen=True)
class Statement:
    """A query from the pack, exactly as the engine receives it."""

    engine: str  # "athena" | "lake"
    subject: str
    sql: str  # Athena: `?` where each parameter goes; Lake: literals of validated values
    parameters: tuple[str, ...]  # Athena's ExecutionParameters, in order ( () for Lake)
    asked: tuple[tuple[str, str], ...]  # (name, value) of each marker, for the timeline


@dataclass(frozen=True)
class QueryState:
    state: str  # "queued" | "running" | "succeeded" | "failed" | "cancelled"
    reason: str = ""  # why it failed or was cancelled, as a sentence (permission, table missing, ...)
    scanned_bytes: int | None = None


class LogQueries(Protocol):
    """An engine running the SQL query pack over CloudTrail (Athena, CloudTrail Lake).
    Read-only. Every method raises a FirebreakError saying why when AWS refuses
    (permission, table or event data store missing, throttled)."""

    engine: str
    where: str  # what is queried, for people: "Athena firebreak-ir: cloudtrail.cloudtrail_logs"

    def start(self, statement: Statement) -> str:
        """Start the query; its id."""

    def state(self, query_id: str) -> QueryState: ...

    def results(self, query_id: str, limit: int) -> tuple[list[Event], bool]:
        """Up to `limit` events of a finished query, and whether there were more."""

    def cancel(self, query_id: str) -> None: ...
