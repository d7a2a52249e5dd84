"""Changing an incident: severity, category, phase, notes and status updates.

Each change is decided under the incident's row lock (store.mutate), recorded on the
timeline in the same transaction, and only then shown in Slack."""

from __future__ import annotations

from datetime import datetime

from core.errors import InvalidTransition, UsageError
from core.incidents.model import ACTIVE_PHASES, CANCELLED, FALSE_POSITIVE, PHASES, Incident, Mutation
from core.incidents.roles import require_role

NOTE_LIMIT = 2000
RESOLVE_USAGE = "/incident resolve [id] [false-positive [reason]]"
CANCEL_USAGE = "/incident cancel [id] <reason>"


def allowed_phases(current: str) -> list[str]:
    """Forward to any later phase, back one step (e.g. re-infection); closed only via close."""
    if current == "closed":
        return []
    if current == "post-incident":
        return []  # leave with /incident close or /incident reopen
    index = PHASES.index(current)
    forward = [p for p in PHASES[index + 1:] if p != "closed"]
    back = [PHASES[index - 1]] if index > 0 else []
    return forward + back


def _entered(incident: Incident, phase: str, at: datetime) -> dict:
    times = dict(incident.phase_times)
    times.setdefault(phase, at.isoformat())
    return times


def change_phase(cfg, incident: Incident, phase: str, actor: str, at: datetime, *, command: str = "phase") -> Mutation:
    phase = phase.lower()
    if phase not in PHASES:
        raise UsageError(f"Unknown phase “{phase}”; phases are {' → '.join(PHASES)}.", "/incident phase <phase>")
    require_role(cfg, incident, command, actor)
    if phase == incident.phase:
        raise InvalidTransition(f"Incident {incident.label} is already in {phase}.")
    allowed = allowed_phases(incident.phase)
    if phase not in allowed:
        hint = (f"allowed: {', '.join(allowed)}" if allowed else
                "use `/incident close` or `/incident reopen`" if incident.phase == "post-incident" else
                "use `/incident reopen`")
        raise InvalidTransition(f"Incident {incident.label} cannot go from {incident.phase} to {phase} ({hint}).")
    return Mutation(changes={"phase": phase, "phase_times": _entered(incident, phase, at)}).note(
        "phase", actor, f"Phase: {incident.phase} → {phase}", previous=incident.phase, phase=phase)


def _reason(reason: str | None, usage: str, *, required: bool) -> str | None:
    reason = (reason or "").strip() or None
    if reason is None and required:
        raise UsageError("Say why, so the timeline (and whoever reads the statistics) knows.", usage)
    if reason is not None and len(reason) > NOTE_LIMIT:
        raise UsageError(f"The reason is {len(reason)} characters; the limit is {NOTE_LIMIT}.")
    return reason


def _because(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def resolve(cfg, incident: Incident, actor: str, at: datetime, *, false_positive: bool = False,
            reason: str | None = None) -> Mutation:
    """→ post-incident. `false_positive`: there was no incident after all (a benign finding, a
    pen test): resolved all the same, with the reason, and left out of the response metrics.
    A resolved incident can still be marked a false positive (no phase change)."""
    require_role(cfg, incident, "resolve", actor)
    reason = _reason(reason, RESOLVE_USAGE, required=False)
    resolution = FALSE_POSITIVE if false_positive else None
    if false_positive and incident.phase == "post-incident" and incident.resolution is None:
        return Mutation(changes={"resolution": FALSE_POSITIVE, "resolution_reason": reason}).note(
            "phase", actor, f"Marked a false positive{_because(reason)}", previous=incident.phase,
            phase=incident.phase, resolution=FALSE_POSITIVE, reason=reason)
    if incident.phase not in ACTIVE_PHASES:
        raise InvalidTransition(f"Incident {incident.label} is {_state(incident)}; only an active incident can be "
                                "resolved.")
    what = "Resolved as a false positive" if false_positive else "Resolved"
    return Mutation(changes={"phase": "post-incident", "phase_times": _entered(incident, "post-incident", at),
                             "resolution": resolution, "resolution_reason": reason}
                    ).note("phase", actor, f"{what}: {incident.phase} → post-incident{_because(reason)}",
                           previous=incident.phase, phase="post-incident", resolution=resolution, reason=reason)


def cancel(cfg, incident: Incident, reason: str, actor: str, at: datetime) -> Mutation:
    """The incident should never have been declared (a test, a duplicate, a mistake): it ends at
    once, from any phase, as closed with the resolution `cancelled` and a mandatory reason.
    Nothing more happens to it (no reminders, SLAs or containment) and it is left out of the
    response metrics. Ending an incident takes the `resolve` permission. `/incident reopen`
    undoes a cancellation made by mistake: the timeline keeps both."""
    reason = _reason(reason, CANCEL_USAGE, required=True)
    require_role(cfg, incident, "resolve", actor)
    if incident.phase == "closed":
        raise InvalidTransition(f"Incident {incident.label} is already {_state(incident)}"
                                + ("." if incident.cancelled else "; reopen it first to cancel it."))
    return Mutation(changes={"phase": "closed", "phase_times": _entered(incident, "closed", at),
                             "resolution": CANCELLED, "resolution_reason": reason}).note(
        "phase", actor, f"Cancelled: {incident.phase} → closed ({reason})", previous=incident.phase,
        phase="closed", resolution=CANCELLED, reason=reason)


def close(cfg, incident: Incident, actor: str, at: datetime) -> Mutation:
    require_role(cfg, incident, "close", actor)
    if incident.phase == "closed":
        raise InvalidTransition(f"Incident {incident.label} is already {_state(incident)}; nothing to do. "
                                "`/incident reopen` it if there is more to do.")
    if incident.phase != "post-incident":
        raise InvalidTransition(f"Incident {incident.label} is {_state(incident)}; resolve it first "
                                "(`/incident resolve`), then close it after the post-incident review.")
    return Mutation(changes={"phase": "closed", "phase_times": _entered(incident, "closed", at)}).note(
        "phase", actor, "Closed" + (" (false positive)" if incident.resolution == FALSE_POSITIVE else ""),
        previous=incident.phase, phase="closed", resolution=incident.resolution)


def reopen(cfg, incident: Incident, actor: str) -> Mutation:
    """Back to analysis from post-incident, closed or cancelled; a false-positive or cancelled
    verdict is withdrawn with it (the incident counts in the metrics again)."""
    require_role(cfg, incident, "reopen", actor)
    if incident.phase not in ("post-incident", "closed"):
        raise InvalidTransition(f"Incident {incident.label} is still open ({incident.phase}).")
    return Mutation(changes={"phase": "analysis", "resolution": None, "resolution_reason": None}).note(
        "phase", actor, f"Reopened: {_state(incident)} → analysis", previous=incident.phase, phase="analysis",
        withdrawn=incident.resolution)


def _state(incident: Incident) -> str:
    """How the incident stands, for messages: closed, cancelled, post-incident (false positive), ..."""
    if incident.cancelled:
        return "cancelled"
    return incident.phase + (" (false positive)" if incident.resolution == FALSE_POSITIVE else "")


def _set_field(cfg, incident: Incident, field: str, value: str, allowed: list[str], actor: str) -> Mutation:
    """Severity and category change the same way: validated, role-checked, timelined."""
    value = value.lower()
    if value not in allowed:
        raise UsageError(f"Unknown {field} “{value}”; use one of {', '.join(allowed)}.",
                         f"/incident {field} <{field}>")
    require_role(cfg, incident, field, actor)
    current = getattr(incident, field)
    if value == current:
        raise InvalidTransition(f"Incident {incident.label} is already {value}.")
    return Mutation(changes={field: value}).note(
        field, actor, f"{field.capitalize()}: {current} → {value}", previous=current, **{field: value})


def set_severity(cfg, incident: Incident, severity: str, actor: str) -> Mutation:
    return _set_field(cfg, incident, "severity", severity, cfg.severity_names, actor)


def set_category(cfg, incident: Incident, category: str, actor: str) -> Mutation:
    return _set_field(cfg, incident, "category", category, cfg.categories, actor)


def _text(text: str, what: str, usage: str) -> str:
    """Notes and status updates: non-empty, within NOTE_LIMIT."""
    text = text.strip()
    if not text:
        raise UsageError(f"A {what} needs text.", usage)
    if len(text) > NOTE_LIMIT:
        raise UsageError(f"The {what} is {len(text)} characters; the limit is {NOTE_LIMIT}.")
    return text


def note(cfg, incident: Incident, text: str, actor: str) -> Mutation:
    text = _text(text, "note", "/incident note <text>")
    if incident.phase == "closed":
        raise InvalidTransition(f"Incident {incident.label} is closed, so its timeline takes no more notes. "
                                "`/incident reopen` it first if there is more to record.")
    require_role(cfg, incident, "note", actor)
    return Mutation().note("note", actor, text)


def status_update(cfg, incident: Incident, text: str, actor: str, at) -> Mutation:
    text = _text(text, "status update", "/incident update <text>")
    require_role(cfg, incident, "update", actor)
    return Mutation(changes={"last_update_at": at}).note("status_update", actor, text)
