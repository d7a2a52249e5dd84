"""The timeline beyond commands: messages pinned with a reaction, and exports."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from core.errors import NotFound
from core.incidents.model import Incident, TimelineEntry
from core.services import Services


def _pin_key(channel: str, ts: str) -> str:
    return f"pin:{channel}:{ts}"


def _message_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=timezone.utc)


def _reactions(message: dict | None, reaction: str) -> int:
    return sum(r.get("count", 0) for r in (message or {}).get("reactions", []) if r.get("name") == reaction)


def pin(services: Services, *, channel: str, ts: str, reactor: str, reaction: str) -> TimelineEntry | None:
    """Add a reacted-to message of an incident channel to its timeline, once, at the time
    it was written (not when it was pinned).

    Slack delivers reaction events out of order and we handle them in parallel, so both
    pin and unpin decide from the message's reactions as they are now, and pin checks
    again after writing: whichever runs last sees the final state."""
    incident = services.incidents.by_channel(channel)
    if incident is None:
        return None
    message = services.chat.message(channel, ts)
    if message is None or _reactions(message, reaction) == 0:
        return None
    entry = services.incidents.add_timeline(
        incident.id, kind="pin", actor=message.get("user"), text=message.get("text", ""), at=_message_time(ts),
        data={"permalink": message.get("permalink"), "pinned_by": reactor, "ts": ts},
        dedup_key=_pin_key(channel, ts))
    if entry is not None and _reactions(services.chat.message(channel, ts), reaction) == 0:
        services.incidents.remove_timeline(_pin_key(channel, ts))
        return None
    return entry


def unpin(services: Services, *, channel: str, ts: str, reaction: str) -> bool:
    """Take the message off the timeline once nobody's reaction is left on it."""
    if _reactions(services.chat.message(channel, ts), reaction) > 0:
        return False
    return services.incidents.remove_timeline(_pin_key(channel, ts)) is not None


def load(services: Services, incident_id: int) -> tuple[Incident, list[TimelineEntry]]:
    incident = services.incidents.get(incident_id)
    if incident is None:
        raise NotFound(f"There is no incident #{incident_id}.")
    return incident, services.incidents.timeline(incident_id, limit=None)


def to_json(incident: Incident, entries: list[TimelineEntry], evidence: list[dict] | None = None) -> str:
    """The export: the incident, its timeline and (given) its chain-of-custody manifest."""
    def iso(moment):
        return moment.isoformat() if moment else None

    return json.dumps({
        "incident": {"id": incident.id, "title": incident.title, "severity": incident.severity,
                     "category": incident.category, "phase": incident.phase, "declared_by": incident.declared_by,
                     "declared_at": iso(incident.declared_at), "channel_id": incident.channel_id,
                     "channel_name": incident.channel_name, "description": incident.description,
                     "roles": incident.roles, "phase_times": incident.phase_times},
        "timeline": [{"at": iso(e.at), "kind": e.kind, "actor": e.actor, "text": e.text, "data": e.data}
                     for e in entries],
        **({"evidence": evidence} if evidence is not None else {}),
    }, indent=2, ensure_ascii=False)
