"""Changing an incident: severity, category, phase, notes and status updates.

Each change is decided under the incident's row lock (store.mutate), recorded on the
timeline in the same transaction, and only then shown in Slack."""

from __future__ import annotations

from datetime import datetime

from core.errors import InvalidTransition, UsageError
from core.model import ACTIVE_PHASES, PHASES, Incident, Mutation
from core.roles import require_role

NOTE_LIMIT = 2000


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


def resolve(cfg, incident: Incident, actor: str, at: datetime) -> Mutation:
    require_role(cfg, incident, "resolve", actor)
    if incident.phase not in ACTIVE_PHASES:
        raise InvalidTransition(f"Incident {incident.label} is {incident.phase}; only an active incident can be "
                                "resolved.")
    return Mutation(changes={"phase": "post-incident", "phase_times": _entered(incident, "post-incident", at)}
                    ).note("phase", actor, f"Resolved: {incident.phase} → post-incident",
                           previous=incident.phase, phase="post-incident")


def close(cfg, incident: Incident, actor: str, at: datetime) -> Mutation:
    require_role(cfg, incident, "close", actor)
    if incident.phase != "post-incident":
        raise InvalidTransition(f"Incident {incident.label} is in {incident.phase}; resolve it first "
                                "(`/incident resolve`), then close it after the post-incident review.")
    return Mutation(changes={"phase": "closed", "phase_times": _entered(incident, "closed", at)}).note(
        "phase", actor, "Closed", previous=incident.phase, phase="closed")


def reopen(cfg, incident: Incident, actor: str) -> Mutation:
    require_role(cfg, incident, "reopen", actor)
    if incident.phase not in ("post-incident", "closed"):
        raise InvalidTransition(f"Incident {incident.label} is still open ({incident.phase}).")
    return Mutation(changes={"phase": "analysis"}).note(
        "phase", actor, f"Reopened: {incident.phase} → analysis", previous=incident.phase, phase="analysis")


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
    require_role(cfg, incident, "note", actor)
    return Mutation().note("note", actor, text)


def status_update(cfg, incident: Incident, text: str, actor: str, at) -> Mutation:
    text = _text(text, "status update", "/incident update <text>")
    require_role(cfg, incident, "update", actor)
    return Mutation(changes={"last_update_at": at}).note("status_update", actor, text)
