"""What the findings domain hands out and what it needs from the outside.

Core decides; Slack and AWS are reached only through these Protocols, implemented in
handlers/ (SlackNotifier) and aws/ (AwsWriteBack), so core stays free of slack_* and boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredFinding:
    """A finding as stored, with its triage state."""

    pk: int
    finding_id: str
    source: str
    product: str
    type: str
    title: str
    severity: str
    severity_score: float
    account: str | None
    region: str | None
    resources: list[dict[str, str]]
    indicators: dict[str, list[str]]
    tags: dict[str, str]
    raw: dict[str, Any] = field(repr=False)
    raw_format: str
    first_seen: str | None
    last_seen: str | None
    updated_at: str
    count: int
    status: str
    route: str | None
    channel: str | None
    slack_channel: str | None
    slack_ts: str | None
    thread_ts: str | None
    digest_id: int | None
    incident_id: int | None
    activity: list[dict[str, Any]]
    revision: int
    slack_revision: int
    received_at: datetime

    @property
    def primary_resource(self) -> str:
        return self.resources[0]["id"] if self.resources else ""


class ConcurrentIntake(Exception):
    """Another writer stored one of a transaction's new findings first (replicas taking the
    same finding at once). The transaction was rolled back; run it again: that finding is
    then known, and goes through the update path like any copy already stored."""


@dataclass(frozen=True)
class Digest:
    id: int
    route: str
    channel: str
    window_start: datetime
    size: int
    slack_channel: str | None
    slack_ts: str | None
    revision: int
    slack_revision: int


@dataclass(frozen=True)
class IndicatorMatch:
    """A new finding shares indicators with a finding linked to an open incident."""

    incident_id: int
    channel: str | None
    finding_id: str
    finding_title: str
    linked_finding_id: str
    shared: list[tuple[str, str]]  # (kind, value)


class Notifier(Protocol):
    """Shows findings in chat. Calls only queue work; sending happens paced, in the background."""

    def finding_changed(self, finding: StoredFinding) -> None: ...

    def digest_changed(self, digest: Digest) -> None: ...

    def indicator_seen(self, match: IndicatorMatch) -> None: ...

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until what is queued has been sent; False if `timeout` ran out first."""


class WriteBack(Protocol):
    """Tells the producing AWS service that a finding was dismissed; returns what it did."""

    def dismiss(self, finding: StoredFinding, reason: str, user: str) -> str: ...
