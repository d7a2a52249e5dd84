"""A change to an incident, made under its row lock and then shown in its channel.

Playbooks and the incident lifecycle both change incidents this way; it sits below both so
neither needs the other to do it."""

from __future__ import annotations

from core import acts
from core.access import require_responder
from core.audit.service import record_incident_changes
from core.communications import hooks as communications
from core.incidents.model import Incident, TimelineEntry
from core.incidents.ports import ChatError
from core.services import Services


def change(services: Services, incident_id: int, decide, *, actor: str | None, echo: bool = True,
           automated: bool = False) -> tuple[Incident, list[TimelineEntry]]:
    """Run `decide(incident, now) -> Mutation` under the row lock, then show the result in chat
    (the refreshed summary, and unless echo is off, a notice of each new timeline entry)."""
    if not automated:
        require_responder(actor, services.config.access.responders, services.directory)
    # Keyed by the act (a job's Slack request) so a job that runs again changes nothing twice.
    incident, entries = services.incidents.mutate(incident_id, decide, services.clock.now,
                                                  key=acts.next_change_key())
    # Role and severity changes decide who may act and who must approve: on the audit chain
    # too. Appended right after the change commits (the incident store's transaction does
    # not reach the chain), before anything is shown.
    record_incident_changes(services, incident, entries)
    communications.after_change(services, incident, entries)  # the stakeholder plan, pages, regulatory clocks
    if services.chat is not None and incident.channel_id:
        try:
            # Render what is stored now, not this change's snapshot: a change made meanwhile by
            # another request must not be overwritten by an older summary.
            services.chat.refresh(services.incidents.get(incident.id) or incident)
            if echo:
                services.chat.post_entries(incident, entries)
        except ChatError as exc:
            raise saved_but_not_shown(incident, exc) from None
    return incident, entries


def saved_but_not_shown(incident: Incident, exc: ChatError) -> ChatError:
    return ChatError(f"Saved on the timeline of incident {incident.label}, but the channel was not "
                     f"updated: {exc.message}")
