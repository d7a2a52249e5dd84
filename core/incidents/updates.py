"""A change to an incident, made under its row lock, then published (IncidentChanged) for
the audit chain, communications, its channel, drills and playbooks to follow.

Playbooks and the incident lifecycle both change incidents this way; it sits below both so
neither needs the other to do it."""

from __future__ import annotations

from core import acts
from core.access import require_responder
from core.incidents import closed
from core.events import IncidentChanged, publish
from core.incidents.model import Incident, TimelineEntry
from core.incidents.ports import ChatError
from core.services import Services


def change(services: Services, incident_id: int, decide, *, actor: str | None, echo: bool = True,
           automated: bool = False, after_close: bool = False) -> tuple[Incident, list[TimelineEntry]]:
    """Run `decide(incident, now) -> Mutation` under the row lock, then publish the change;
    its subscribers (composition/events.py) audit it, tell stakeholders, show it in the
    channel (`show`; unless echo is off, a notice of each new timeline entry too), score a
    drill and post a new phase's checklist, in that order. A closed incident takes only
    its reopening (core/incidents/closed.py), or with `after_close` its postmortem."""
    if not automated:
        require_responder(actor, services.config.access.responders, services.directory)
    # Keyed by the act (a job's Slack request) so a job that runs again changes nothing twice.
    incident, entries = services.incidents.mutate(incident_id, closed.guard(decide, after_close=after_close),
                                                  services.clock.now,
                                                  key=acts.next_change_key())
    publish(services, IncidentChanged(incident, tuple(entries), actor, automated, echo))
    return incident, entries


def show(services: Services, event: IncidentChanged) -> None:
    """Subscriber: the refreshed summary in the incident's channel, and unless echo is off a
    notice of each new timeline entry."""
    incident = event.incident
    if not incident.channel_id:
        return
    try:
        # Render what is stored now, not this change's snapshot: a change made meanwhile by
        # another request must not be overwritten by an older summary.
        services.chat.refresh(services.incidents.get(incident.id) or incident)
        if event.echo:
            services.chat.post_entries(incident, list(event.entries))
    except ChatError as exc:
        raise saved_but_not_shown(incident, exc) from None


def saved_but_not_shown(incident: Incident, exc: ChatError) -> ChatError:
    return ChatError(f"Saved on the timeline of incident {incident.label}, but the channel was not "
                     f"updated: {exc.message}")
