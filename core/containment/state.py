"""The request state machine. Each decision reads the request as it is under its row lock
and returns the changes to store; refusing raises a typed error (or, for an approval that
came too late, records the expiry and then refuses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.containment.model import (APPROVED, DENIED, EXECUTING, EXPIRED, FAILED, REQUESTED, SUCCEEDED,
                                    UNKNOWN, ContainRequest)
from core.errors import FirebreakError, InvalidTransition
from core.mentions import person

ALLOWED = {
    REQUESTED: {APPROVED, DENIED, EXPIRED},
    APPROVED: {EXECUTING},
    EXECUTING: {SUCCEEDED, FAILED, UNKNOWN},
    SUCCEEDED: {"undone"},
}
DONE_BY = {"already-done": "not needed (already in place)", APPROVED: "approved", DENIED: "denied",
           EXPIRED: "expired", SUCCEEDED: "run",
           FAILED: "run", UNKNOWN: "interrupted", "undone": "undone", "planned": "planned only (dry run)"}


@dataclass
class Decision:
    """Changes to store, the audit event describing them, and an error to raise after commit."""

    changes: dict = field(default_factory=dict)
    event: dict = field(default_factory=dict)
    refuse: FirebreakError | None = None


def require(request: ContainRequest, new_state: str) -> None:
    if new_state not in ALLOWED.get(request.state, set()):
        by = f" by {person(request.decided_by)}" if request.decided_by and request.state in (APPROVED, DENIED) else ""
        again = (f" Request it again for a fresh plan: `/{request.family.command} {request.action} {request.target}`."
                 if request.state == EXPIRED else "")
        raise InvalidTransition(f"Request {request.label} ({request.title}) is already "
                                f"{DONE_BY.get(request.state, request.state)}{by}.{again}",
                                mentions=(request.decided_by,) if by else ())


def expire_if_due(request: ContainRequest, now: datetime) -> Decision | None:
    if request.state == REQUESTED and now >= request.expires_at:
        return Decision({"state": EXPIRED}, {"event": "expired"},
                        InvalidTransition(f"Request {request.label} expired at {request.expires_at:%H:%M} UTC "
                                          "before anyone approved it; request it again for a fresh plan: "
                                          f"`/{request.family.command} {request.action} {request.target}`."))
    return None


def decide(request: ContainRequest, *, approve: bool, actor: str, now: datetime, check_approver,
           note: str | None = None) -> Decision:
    """Approve or deny: the request must still be open and not expired; approvers pass `check_approver`."""
    if (expired := expire_if_due(request, now)) is not None:
        return expired
    new_state = APPROVED if approve else DENIED
    require(request, new_state)
    if approve:
        check_approver()
    elif actor != request.requested_by:
        check_approver()  # a requester may withdraw; anyone else needs approver rights to deny
    note = " ".join((note or "").split())[:500] or None
    return Decision({"state": new_state, "decided_by": actor, "decided_at": now, "decision_note": note},
                    {"event": new_state, "actor": actor, "note": note})
