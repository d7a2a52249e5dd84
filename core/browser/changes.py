"""What a responder changes from the browser: a note, a phase, a containment decision.

Each goes through the very service Slack's commands and buttons call (same permissions,
two-person rule, row locks and audit). The browser works while Slack is down, so the
change is saved first and its channel told afterwards: every timeline entry it made is
recorded as due in the delivery ledger (`browser-change:<entry>`), then posted through the
ledger's Deliverer under its own key (`browser-post:<entry>`), at once if Slack answers,
else by the clock's `browser-changes` sweep once it does; never twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable, TypeVar

from core.containment import cards, service as containment
from core.containment.model import ContainRequest
from core.incidents import lifecycle, service as incidents
from core.incidents.model import Incident, TimelineEntry
from core.incidents.ports import ChatError
from core.scheduling.delivery import Deliverer
from core.services import Services

DUE, POSTED = "browser-change:", "browser-post:"
KEEP = timedelta(days=7)  # a change Slack did not take within a week is not posted late
log = logging.getLogger("firebreak.browser")
T = TypeVar("T")


def add_note(services: Services, incident_id: int, *, actor: str, text: str) -> list[TimelineEntry]:
    """`/incident note`, from the browser."""
    incident = _visible(services, incident_id, actor)
    cfg = services.config.incidents
    return _recorded(services, incident, actor, lambda: incidents.apply(
        services, incident.id, lambda current, _at: lifecycle.note(cfg, current, text, actor), actor=actor,
        echo=False))[1]


def change_phase(services: Services, incident_id: int, *, actor: str, phase: str) -> list[TimelineEntry]:
    """`/incident phase`, from the browser."""
    incident = _visible(services, incident_id, actor)
    cfg = services.config.incidents
    return _recorded(services, incident, actor, lambda: incidents.apply(
        services, incident.id, lambda current, at: lifecycle.change_phase(cfg, current, phase, actor, at),
        actor=actor, echo=False))[1]


def decide_request(services: Services, request_id: int, *, actor: str, approve: bool,
                   note: str | None = None) -> ContainRequest | None:
    """The Approve/Deny buttons, from the browser: core decides (approver lists, the
    two-person rule, expiry) and runs an approved request at once, as for a click."""
    request = services.repos.containment.get(request_id)
    incident = _visible(services, request.incident_id if request else 0, actor)

    def decide() -> ContainRequest:
        try:
            return containment.decide(services, request_id, actor=actor, approve=approve, note=note)
        except (ChatError, OSError):  # decided, but its card was not updated: AWS need not wait for Slack
            stored = services.repos.containment.get(request_id)
            if stored is None or stored.decided_by != actor:
                raise
            return containment.run_if_approved(services, stored)

    decided, _ = _recorded(services, incident, actor, decide)
    return decided or services.repos.containment.get(request_id)


def _visible(services: Services, incident_id: int, actor: str) -> Incident:
    """The incident, if `actor` may see it (NotFound otherwise, as in Slack)."""
    return incidents.find(services, actor=actor, channel=None, ref=str(incident_id), unknown_members_hide=True)


def _recorded(services: Services, incident: Incident, actor: str, act: Callable[[], T]) -> tuple[T | None, list]:
    """Run `act`; whatever timeline entries it made as `actor` are due in the channel. A
    chat failure after the change was saved is not the browser user's failure."""
    before = services.incidents.last_entry_id(incident.id)
    try:
        result = act()
    except (ChatError, OSError) as exc:  # saved; Slack did not take the refreshed summary or card
        log.warning("incident %s changed from the browser; chat not updated now: %s", incident.label,
                    getattr(exc, "message", None) or type(exc).__name__)
        result = None
    entries = [e for e in services.incidents.timeline(incident.id, after_id=before, limit=None) if e.actor == actor]
    now = services.clock.now()
    for entry in entries:
        services.repos.notices.decide(f"{DUE}{entry.id}", incident.id, "due", now)
    deliver(services, [(entry.id, incident.id) for entry in entries])
    return result, entries


def deliver(services: Services, due: list[tuple[int, int | None]], holder: str = "browser") -> int:
    """Post each due entry in its incident's channel, once (the ledger's claim)."""
    send = Deliverer(services.repos.notices, holder, services.clock)
    posted, caught_up, cards_due = 0, set(), set()
    for entry_id, incident_id in due:
        incident = services.incidents.get(incident_id) if incident_id else None
        entry = next((e for e in services.incidents.timeline(incident_id, after_id=entry_id - 1, limit=1)
                      if e.id == entry_id), None) if incident else None
        if incident is None or entry is None or not incident.channel_id:
            continue
        if send(f"{POSTED}{entry_id}", incident_id, lambda i=incident, e=entry: services.chat.post_entries(i, [e])):
            posted += 1
            caught_up.add(incident_id)
            if isinstance(entry.data.get("request"), int):
                cards_due.add(entry.data["request"])
    for incident_id in caught_up:  # the channel's summary and request cards may have missed it too
        _refresh(services, lambda i=incident_id: services.chat.refresh(services.incidents.get(i)))
    for request_id in cards_due:
        _refresh(services, lambda r=request_id: cards.publish(services.board, services.repos.containment,
                                                              services.incidents, services.repos.containment.get(r)))
    return posted


def _refresh(services: Services, show: Callable[[], object]) -> None:
    try:
        show()
    except (ChatError, OSError) as exc:
        log.warning("the channel was not brought up to date: %s", getattr(exc, "message", exc))


def deliver_pending(services: Services) -> int:
    """The clock's sweep: what the browser changed while Slack was down, posted now."""
    since = services.clock.now() - KEEP
    due = services.repos.notices.decided(DUE, "due", since)
    posts = services.repos.notices.states(f"{POSTED}{key.removeprefix(DUE)}" for key, _ in due)
    waiting = [(int(key.removeprefix(DUE)), incident_id) for key, incident_id in due
               if posts.get(f"{POSTED}{key.removeprefix(DUE)}") != "sent"]
    return deliver(services, waiting, holder="clock")
