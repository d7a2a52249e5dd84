"""Row <-> domain conversions shared by the findings repositories, and the text clean-up
every attacker-controlled string gets before it reaches the database."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.findings.identity import origin_of, provider_key
from core.findings.model import Finding
from core.findings.ports import Digest, StoredFinding
from core.findings.ports import MAX_FINDING_ID
from store.findings.models import FindingDigestRow, FindingRow, FindingSnoozeRow

MAX_ID = MAX_FINDING_ID
_CLIP = {"source": 80, "product": 300, "type": 300, "account": 40, "region": 40, "raw_format": 40}


def clean(text: Any) -> Any:
    """PostgreSQL refuses NUL in text; attacker-controlled strings may carry one."""
    return text.replace("\x00", "\ufffd") if isinstance(text, str) else text


_TEXT = ("source", "product", "type", "title", "severity", "account", "region", "raw_format", "first_seen",
         "last_seen", "updated_at")  # the fields that may hold text: clean() leaves anything else as it is


def values_of(finding: Finding) -> dict[str, Any]:
    values = {
        "source": finding.source, "product": finding.product, "type": finding.type, "title": finding.title,
        "severity": finding.severity, "severity_score": float(finding.severity_score),
        "account": finding.account, "region": finding.region, "resources": finding.resources,
        "indicators": finding.indicators, "tags": finding.tags, "raw": finding.raw,
        "raw_format": finding.raw_format, "first_seen": finding.first_seen, "last_seen": finding.last_seen,
        "updated_at": finding.updated_at or "", "count": int(finding.count), "origins": origin_of(finding),
    }
    for key in _TEXT:
        value = values[key]
        if isinstance(value, str):
            if "\x00" in value:
                value = clean(value)
            limit = _CLIP.get(key)
            values[key] = value if limit is None else value[:limit]
    return values


def natural_key(finding: Finding) -> str:
    """source|account|the producer's finding id: its copies in other formats share it."""
    return producer_key(finding.source, finding.account, provider_key(finding))


def producer_key(source: str, account: str | None, producer_id: str) -> str:
    return f"{source}|{account or ''}|{producer_id}"


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their (UTC) zone; put it back."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def to_stored(row: FindingRow) -> StoredFinding:
    fields = {name: getattr(row, name) for name in StoredFinding.__dataclass_fields__}
    return StoredFinding(**dict(fields, received_at=aware(row.received_at), origins=row.origins or {}))


def to_digest(row: FindingDigestRow) -> Digest:
    fields = {name: getattr(row, name) for name in Digest.__dataclass_fields__}
    return Digest(**dict(fields, window_start=aware(row.window_start)))


def snooze_key(scope: str, *parts: str) -> str:
    return hashlib.sha256("\x00".join((scope, *parts)).encode()).hexdigest()


def snoozed_until(session: Session, finding: StoredFinding, now: datetime) -> datetime | None:
    """Latest expiry of a snooze covering this finding (by id, or its type on its resource)."""
    keys = [snooze_key("finding", finding.finding_id), snooze_key("type", finding.type, finding.primary_resource)]
    return aware(session.scalar(select(func.max(FindingSnoozeRow.until)).where(
        FindingSnoozeRow.key.in_(keys), FindingSnoozeRow.until > now)))
