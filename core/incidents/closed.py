"""A closed incident is a record: it takes no more changes until it is reopened.

Every change to an incident runs its decision under the row lock (core/incidents/updates.py,
core/playbooks/runtime.py); `guard` wraps that decision, so a status update, a severity or
role change or a playbook tick on a closed (or cancelled) incident is refused, with what
still works, however it was asked. The decision runs first so its own, more precise refusal
wins (a repeated `close confirm` says "already closed"). Reopening is the one change allowed:
it is the one that moves the phase out of closed."""

from __future__ import annotations

from core.errors import InvalidTransition
from core.incidents.model import Incident, Mutation

READ_ONLY = "status, timeline, roles, findings, actions, export"


def message(incident: Incident) -> str:
    state = "cancelled" if incident.cancelled else "closed"
    return (f"Incident {incident.label} is {state}, so it takes no more changes: only `/incident reopen` and "
            f"read-only commands ({READ_ONLY}) work on it. Reopen it first if there is more to do.")


def guard(decide, *, after_close: bool = False):
    """`decide(current, at) -> Mutation`, refused on a closed incident unless it reopens it
    (or `after_close`: the postmortem, which is written about a closed incident)."""
    def guarded(current: Incident, at) -> Mutation:
        mutation = decide(current, at)
        if current.phase == "closed" and not after_close and mutation.changes.get("phase", "closed") == "closed":
            raise InvalidTransition(message(current))
        return mutation

    return guarded
