"""Containment as one service: submit → decide → run what is approved → verify → show.

Every entry point (the /contain command, the Approve/Deny buttons, a playbook step, a
finding's Contain… menu, the clock's recovery sweep) goes through here, so they all get the
same rules. The decisions live in flow/state/executor; this module only orders them and
keeps the request's card current through the board port."""

from __future__ import annotations

import logging

from core.containment import cards, executor, flow
from core.containment.model import APPROVED, EXPIRED, REQUESTED, ContainRequest
from core.containment.parse import ContainCommand, command_for
from core.response.suggest import suggestions
from core.errors import FirebreakError, UsageError
from core.events import ContainmentDecided, publish
from core.findings import triage
from core.incidents.model import Incident
from core.playbooks import runtime as playbooks
from core.services import Services

log = logging.getLogger("firebreak.containment")


def submit(services: Services, *, actor: str, channel: str | None, command: ContainCommand,
           dedup_key: str | None) -> ContainRequest:
    """File a request (or the undo of one), show its card, and run it if it needs no approval."""
    if command.sub == "undo":
        request = flow.undo(services, services.catalog, actor=actor, command=command, dedup_key=dedup_key)
    else:
        request = flow.request(services, services.catalog, actor=actor, channel=channel, command=command,
                               dedup_key=dedup_key)
    _show(services, request, channel)
    return run_if_approved(services, request)


def decide(services: Services, request_id: int, *, actor: str, approve: bool,
           note: str | None = None) -> ContainRequest:
    """Approve or deny (with an optional reason) under the request's row lock; an approval
    runs the request right away."""
    try:
        request = flow.decide(services, request_id, actor=actor, approve=approve, note=note)
    except FirebreakError:
        if (stored := services.repos.containment.get(request_id)) is not None and stored.state == EXPIRED:
            _show(services, stored)  # clicked after its window: the card loses its buttons now
        raise
    publish(services, ContainmentDecided(request, approve, actor))
    _show(services, request)
    return run_if_approved(services, request)


def run_if_approved(services: Services, request: ContainRequest) -> ContainRequest:
    """Execute an approved request exactly once; another click or replica may already have it."""
    if request.state != APPROVED:
        return request
    done = executor.execute(services, services.catalog, request.id)
    if done is None:
        return request
    _show(services, done)
    return done


def expire_approvals(services: Services) -> int:
    """Requests still awaiting approval after their window become `expired`, and their
    cards say so (no Approve/Deny left to press)."""
    expired = [r for r in flow.expire_due(services, flow.store(services).in_states(REQUESTED)) if r.state == EXPIRED]
    for request in expired:
        _show(services, request)
    return len(expired)


def recover(services: Services) -> int:
    """Settle what a crashed process left (a clock sweep, and once at start)."""
    changed = executor.recover(services, services.catalog)
    for request in changed:
        _show(services, request)
    return len(changed)


def from_playbook_step(services: Services, *, actor: str, incident: Incident, step_key: str,
                       dedup_key: str | None) -> ContainRequest:
    """A playbook's contain step, filed as a typed command (its target checked like typed text)."""
    step = playbooks.contain_step(services, incident, step_key)
    command = command_for(step.action, step.target, step.options, incident=str(incident.id))
    return submit(services, actor=actor, channel=incident.channel_id, command=command, dedup_key=dedup_key)


def from_finding(services: Services, *, actor: str, finding_pk: int, choice: int,
                 dedup_key: str | None) -> ContainRequest:
    """An entry of a linked finding's Contain… menu: a request in the finding's incident."""
    finding = triage.get(services, finding_pk)
    options = suggestions(finding.indicators, finding.resources)
    if finding.incident_id is None or not 0 <= choice < len(options):
        raise UsageError("That menu entry no longer matches the finding; use /contain in the incident channel.")
    incident = services.incidents.get(finding.incident_id)
    action, target = options[choice]
    command = command_for(action, target, incident=str(incident.id), region=finding.region,
                          account=finding.account)
    return submit(services, actor=actor, channel=incident.channel_id, command=command, dedup_key=dedup_key)


def _show(services: Services, request: ContainRequest, fallback_channel: str | None = None) -> None:
    cards.publish(services.board, services.repos.containment, services.incidents, request, fallback_channel)
