"""Paging: `/incident page <audience|@user>`, rules with `page:`, and SLA escalation.

A page is one alert per incident and target (`dedup_key` firebreak-<incident>-<target>, so
paging the same target again for the same incident updates the alert instead of opening a
second). It follows the incident: acknowledged when the incident moves on to containment,
eradication or recovery (someone is working it), resolved when the incident is resolved,
cancelled or closed. Each event goes through the paging port (PagerDuty Events API v2 or a
webhook, retried with backoff there), is kept with its state, and lands on the timeline."""

from __future__ import annotations

import logging

from core.communications import rehearsal
from core.communications.config import PagerConfig
from core.communications.ports import PageEvent, PageFailed, PageRecord
from core.errors import UsageError
from core.mentions import person
from core.incidents.model import Incident, TimelineEntry
from core.incidents.ports import ChatError
from core.incidents.roles import require_role
from core.services import Services

log = logging.getLogger("firebreak.paging")
PAGE_USAGE = "/incident page [id] <audience|@user> [message]"
WORKING = ("containment", "eradication", "recovery")
ENDED = ("post-incident", "closed")
MESSAGE_LIMIT = 1000


def dedup_key(incident: Incident, target: str) -> str:
    return f"firebreak-{incident.id}-{target}"


def pd_severity(services: Services, incident: Incident) -> str:
    """PagerDuty's four levels by the severity's rank: most severe critical, then error, warning, info."""
    names = services.config.incidents.severity_names
    rank = names.index(incident.severity) if incident.severity in names else len(names)
    return ("critical", "error", "warning")[rank] if rank < 3 else "info"


def _pager_for(services: Services, target: str) -> PagerConfig | None:
    comms = services.config.communications
    if target.startswith(("U", "W")) and target not in comms.audiences:
        return comms.audiences[comms.user_pager].pager if comms.user_pager else None
    audience = comms.audiences.get(target)
    if audience is None:
        names = ", ".join(n for n, a in sorted(comms.audiences.items()) if a.pager) or "none configured"
        raise UsageError(f"Unknown audience “{target[:40]}”; audiences with a pager: {names}.", PAGE_USAGE)
    if audience.pager is None:
        raise UsageError(f"Audience {target} has no pager (communications.audiences.{target}.pager).", PAGE_USAGE)
    return audience.pager


def summary(services: Services, incident: Incident, target: str, message: str) -> str:
    comms = services.config.communications
    audience = comms.audiences.get(target)
    shown = not incident.private or (audience is not None and audience.may_see_private)
    head = f"Incident {incident.label} ({incident.severity})" + (f": {incident.title}" if shown else " (private)")
    return rehearsal.tagged(incident, head + (f" — {message}" if message else ""))[:1024]


def _event(services: Services, incident: Incident, target: str, action: str, message: str,
           actor: str | None) -> PageEvent:
    details = {"incident": incident.id, "severity": incident.severity, "phase": incident.phase,
               "paged_by": actor or "Firebreak"}
    if incident.is_drill:  # so a receiving rule can tell (the summary starts with [DRILL] too)
        details["drill"] = True
    if target.startswith(("U", "W")) and target not in services.config.communications.audiences:
        details["user"] = target
    return PageEvent(action, dedup_key(incident, target), summary(services, incident, target, message),
                     pd_severity(services, incident), "firebreak", details)


def _record(services: Services, incident: Incident, text: str, actor: str | None, data: dict) -> TimelineEntry | None:
    entry = services.incidents.add_timeline(incident.id, kind="page", text=text, at=services.clock.now(),
                                            actor=actor, data=data)
    if entry is not None and incident.channel_id:
        try:
            services.chat.post_entries(incident, [entry])
        except ChatError:
            log.warning("could not show a page of incident %s in its channel", incident.id)
    return entry


def _where_to_join(incident: Incident) -> str:
    """The paged person is told which channel to go to, by name."""
    if incident.channel_name:
        return (f"The response is in #{incident.channel_name} (private: ask there to be invited)." if incident.private
                else f"Join #{incident.channel_name}.")
    return "Join the response."


def page(services: Services, incident: Incident, target: str, *, message: str = "", actor: str | None,
         why: str = "") -> PageRecord:
    """Trigger (or re-trigger) the page of `target` for this incident. Raises PageFailed after
    recording the failure when the paging service could not be reached."""
    if actor is not None:  # a person paging (the plan and the SLA escalation page on their own)
        require_role(services.config.incidents, incident, "page", actor)
    message = " ".join(message.split())
    if len(message) > MESSAGE_LIMIT:
        raise UsageError(f"The message is {len(message)} characters; the limit is {MESSAGE_LIMIT}.", PAGE_USAGE)
    if incident.cancelled or incident.phase in ENDED:
        raise UsageError(f"Incident {incident.label} has ended ({incident.phase}); there is nobody to page for it.")
    rehearsal.require_reachable(incident, target, "page")
    pager = _pager_for(services, target)
    repo, now = services.repos.communications, services.clock.now()
    user = target if target.startswith(("U", "W")) and target not in services.config.communications.audiences else None
    name = person(user) if user else target
    by = person(actor) if actor else "Firebreak"
    error = None
    if pager is not None:
        try:
            services.outreach.paging.send(pager, _event(services, incident, target, "trigger", message, actor))
        except PageFailed as exc:
            error = str(exc)
    if user:
        try:
            services.chat.notify(user, rehearsal.tagged(incident, f"{by} is paging you for incident {incident.label}"
                                 + (f": {message}" if message else "") + ". "
                                 + _where_to_join(incident)),
                                 mentions=tuple(x for x in (actor,) if x))
        except ChatError as exc:
            error = error or exc.message
    state = "failed" if error else "triggered"
    record = repo.save_page(incident.id, target, dedup_key=dedup_key(incident, target), state=state,
                            actor=actor, message=message, at=now, error=error)
    reason = f" ({why})" if why else ""
    text = (f"Paged {name}{reason}" + (f": {message}" if message else "") if not error
            else f"Could not page {name}{reason}: {error}")
    _record(services, incident, text, actor, {"target": target, "state": state, "user": user,
                                              "dedup_key": record.dedup_key})
    if error:
        raise PageFailed(f"Could not page {target}: {error}")
    return record


def follow(services: Services, incident: Incident, entries: list[TimelineEntry]) -> int:
    """Acknowledge or resolve the incident's open pages as its phase moves; how many changed."""
    phases = [e.data.get("phase") for e in entries if e.kind == "phase"]
    if not phases:
        return 0
    action = "resolve" if phases[-1] in ENDED else ("acknowledge" if phases[-1] in WORKING else None)
    if action is None:
        return 0
    wanted = ("triggered", "acknowledged") if action == "resolve" else ("triggered",)
    changed = 0
    for record in services.repos.communications.pages(incident.id):
        if record.state not in wanted:
            continue
        try:
            pager = _pager_for(services, record.target)
        except UsageError:
            continue  # the audience was removed from the config since
        if pager is None:
            continue
        state = "resolved" if action == "resolve" else "acknowledged"
        try:
            services.outreach.paging.send(pager, _event(services, incident, record.target, action, record.message,
                                                        None))
        except PageFailed as exc:
            log.warning("could not %s the page of %s for incident %s: %s", action, record.target, incident.id, exc)
            _record(services, incident, f"Could not {action} the page of {record.target}: {exc}", None,
                    {"target": record.target, "state": record.state, "action": action})
            continue
        services.repos.communications.save_page(incident.id, record.target, dedup_key=record.dedup_key, state=state,
                                                actor=None, message=record.message, at=services.clock.now())
        target = person(record.target) if record.target.startswith(("U", "W")) else record.target
        _record(services, incident, f"Page of {target} {state} (incident {incident.phase})", None,
                {"target": record.target, "state": state})
        changed += 1
    return changed


def by_plan(services: Services, incident: Incident, trigger: str) -> int:
    """The plan's `page:` audiences for a declaration or severity change; failures are logged
    (and on the timeline), never raised into the change that caused them."""
    _, names = services.config.communications.due(trigger, incident.severity, incident.category)
    names = rehearsal.reachable(incident, names)
    paged = 0
    for name in names:
        try:
            page(services, incident, name, actor=None, why=f"plan: {trigger}")
            paged += 1
        except Exception:  # noqa: BLE001
            log.exception("plan page of %s for incident %s failed", name, incident.id)
    return paged


def escalate(services: Services, escalation) -> None:
    """SLA breach → page `scheduling.escalation.page`; raises when one failed (the clock's
    delivery ledger retries it next sweep; re-triggering the others is deduplicated)."""
    incident = services.incidents.get(escalation.incident.id) or escalation.incident
    failed = []
    for name in rehearsal.reachable(incident, services.config.scheduling.escalation.page):
        try:
            page(services, incident, name, actor=None, message=f"{escalation.sla} SLA breached",
                 why="SLA escalation")
        except (PageFailed, UsageError) as exc:
            failed.append(str(exc))
    if failed:
        raise PageFailed("; ".join(failed))
