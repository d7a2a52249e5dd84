"""Seals on response requests: what the executor applies is what Firebreak planned, approved
and remembered, not what a database writer put in the row.

Three MACs (core/integrity.py), each with its own key derived from FIREBREAK_AUDIT_KEY:
- the plan, made at request time: action, target, account, region, options, who asked, the
  request it undoes, and the whole plan (the facts and preconditions the action reads);
- the approval, made when an approver (or auto_approve) approves: the plan's seal and who;
- the memory, made when apply finishes: what the action changed, which its undo restores.
The executor checks all that apply before any AWS call and refuses (audited) what fails."""

from __future__ import annotations

from core.containment.model import ContainRequest
from core.integrity import APPROVALS, MEMORY, PLANS, Seal, seal
from core.services import Services


def _seal(services: Services, purpose: str) -> Seal:
    return seal(services.settings.secrets.audit_key, purpose)


def plan_body(fields) -> dict:
    """The request as planned; `fields` is the row's values (a dict) or a ContainRequest."""
    get = fields.get if isinstance(fields, dict) else lambda name: getattr(fields, name)
    return {name: get(name) for name in ("incident_id", "undo_of", "action", "target", "options", "account",
                                         "region", "requested_by", "dry_run", "plan")}


def sign_plan(services: Services, fields: dict) -> str | None:
    return _seal(services, PLANS).sign(plan_body(fields))


def sign_approval(services: Services, plan_seal: str | None, approver: str) -> str | None:
    return _seal(services, APPROVALS).sign({"plan": plan_seal, "approver": approver})


def sign_memory(services: Services, request_id: int, memory: dict) -> str | None:
    return _seal(services, MEMORY).sign({"request": request_id, "memory": memory})


def forged(services: Services, request: ContainRequest, original: ContainRequest | None = None) -> str | None:
    """Why the executor must not run `request` (None: it holds). `original`: the request an
    undo reverses, whose remembered changes the undo would apply."""
    if not _seal(services, PLANS).holds(plan_body(request), request.seal):
        return "its plan is not the one Firebreak recorded when it was requested"
    if not _seal(services, APPROVALS).holds({"plan": request.seal, "approver": request.decided_by},
                                            request.approval_seal):
        return "its approval was not recorded by Firebreak"
    if original is not None and not _seal(services, MEMORY).holds(
            {"request": original.id, "memory": original.memory}, original.memory_seal):
        return f"what {original.label} changed (which the undo restores) is not what Firebreak recorded"
    return None
