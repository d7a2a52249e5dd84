"""AWS Security Incident Response events (EventBridge `source: aws.security-ir`) read at
intake: they are not findings, they say that a case changed (created, updated, commented,
closed). The event names only the case (`detail.caseId`); what changed is read from the case
itself by whoever follows it (core/communications/aws_cases.py), at once instead of at the
next poll."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SOURCE = "aws.security-ir"
CASE_EVENTS = ("Case Created", "Case Updated", "Case Comment Added", "Case Comment Updated", "Case Closed")


@dataclass(frozen=True)
class CaseEvent:
    case_id: str
    detail_type: str
    account: str | None = None
    region: str | None = None
    by: str | None = None  # createdBy / updatedBy / closedBy, as AWS says it


def is_security_ir(event: dict[str, Any]) -> bool:
    return event.get("source") == SOURCE


def read(event: dict[str, Any]) -> CaseEvent | None:
    """The case event, or None for what is not one (membership events, a case event without a case id)."""
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    case_id = detail.get("caseId")
    if event.get("detail-type") not in CASE_EVENTS or not isinstance(case_id, (str, int)) or not str(case_id).strip():
        return None
    by = next((detail[k] for k in ("updatedBy", "createdBy", "closedBy") if isinstance(detail.get(k), str)), None)
    return CaseEvent(str(case_id).strip(), str(event["detail-type"]), _text(event.get("account")),
                     _text(event.get("region")), by)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and str(value) else None
