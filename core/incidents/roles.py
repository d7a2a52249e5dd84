"""Incident roles and who may run which subcommand. Decided under the incident's row lock,
so the rule sees the roles as they are at that moment, not as a stale copy."""

from __future__ import annotations

from core.errors import PermissionDenied, UsageError
from core.incidents.config import IncidentsConfig
from core.incidents.model import Incident, Mutation
from core.mentions import person


def require_role(cfg: IncidentsConfig, incident: Incident, command: str, actor: str) -> None:
    """Refuse `command` unless `actor` holds a permitted role (or nobody holds one yet)."""
    allowed = cfg.permissions.get(command)
    if not allowed:
        return
    holders = {incident.roles.get(role) for role in allowed} - {None}
    if not holders or actor in holders:
        return
    who = ", ".join(f"{role} {person(incident.roles[role])}" for role in allowed if incident.roles.get(role))
    raise PermissionDenied(f"Only the {' or '.join(allowed)} may run `/incident {command}` on incident "
                           f"{incident.label} (now: {who}).", mentions=tuple(holders))


def assign(cfg: IncidentsConfig, incident: Incident, role: str, user: str, actor: str) -> Mutation:
    """Hand `role` to `user`; the timeline records who had it before."""
    role = role.lower().replace(" ", "_")
    if role not in cfg.roles:
        raise UsageError(f"Unknown role “{role}”; roles are {', '.join(cfg.roles)}.",
                         "/incident role <role> @user")
    require_role(cfg, incident, "role", actor)
    previous = incident.roles.get(role)
    if previous == user:
        raise UsageError(f"{person(user)} is already the {role} of incident {incident.label}.", mentions=(user,))
    text = f"{role}: {person(previous)} → {person(user)}" if previous else f"{role}: {person(user)}"
    return Mutation(roles={role: user}).note("role", actor, text, role=role, previous=previous, user=user)
