"""Action items: what the review decided to change, with an owner and a due date."""

from __future__ import annotations

import re
from datetime import date

from core.access import require_responder
from core.errors import InvalidTransition, NotFound, UsageError
from core.incidents.model import ActionItem, Incident
from core.services import Services
from core.mentions import person

USAGE = ("/incident action <text> @owner [due:YYYY-MM-DD] · /incident action edit|assign|due|delete <#> ...")
DUE = re.compile(r"(?:^|\s)due:(\S+)")


def parse_due(text: str) -> tuple[str, date | None]:
    """Split `due:YYYY-MM-DD` off the text."""
    match = DUE.search(text)
    if not match:
        return text, None
    try:
        due = date.fromisoformat(match.group(1))
    except ValueError:
        raise UsageError(f"“{match.group(1)[:20]}” is not a date; write due:YYYY-MM-DD.", USAGE) from None
    return (text[:match.start()] + text[match.end():]).strip(), due


def add(services: Services, incident: Incident, *, text: str, owner: str | None, due: date | None,
        actor: str) -> ActionItem:
    require_responder(actor, services.config.access.responders, services.directory)
    text = " ".join(text.split())
    if not text:
        raise UsageError("An action item needs a description.", USAGE)
    if len(text) > 500:
        raise UsageError(f"The action item is {len(text)} characters; the limit is 500.", USAGE)
    now = services.clock.now()
    if due is not None and due < now.date():
        raise UsageError(f"The due date {due:%Y-%m-%d} is in the past.", USAGE)
    item = services.repos.action_items.add(incident.id, text=text, owner=owner, due=due, created_by=actor, at=now)
    owner_text = f" (owner {person(owner)}" + (f", due {due:%Y-%m-%d})" if due else ")") if owner else ""
    services.incidents.add_timeline(incident.id, kind="action_item", actor=actor, at=now,
                                    text=f"Action item #{item.id}: {text}{owner_text}",
                                    data={"item": item.id, "user": owner, "due": due.isoformat() if due else None})
    return item


def complete(services: Services, item_id: int, actor: str) -> tuple[Incident, ActionItem]:
    require_responder(actor, services.config.access.responders, services.directory)
    store = services.repos.action_items
    item = store.get(item_id)
    if item is None:
        raise NotFound(f"There is no action item #{item_id}.")
    now = services.clock.now()
    if not store.complete(item_id, by=actor, at=now):
        current = store.get(item_id)
        raise InvalidTransition(f"Action item #{item_id} was already completed by {person(current.done_by)}.",
                                mentions=(current.done_by,))
    services.incidents.add_timeline(item.incident_id, kind="action_item", actor=actor, at=now,
                                    text=f"Action item #{item_id} done: {item.text}", data={"item": item_id})
    incident = services.incidents.get(item.incident_id)
    if item.owner and item.owner != actor:  # the owner hears it was done for them
        services.chat.notify(item.owner, f"Your action item #{item_id} of incident {incident.label} ({item.text}) "
                                         f"was completed by {person(actor)}.", mentions=(actor,))
    return incident, store.get(item_id)


def listed(services: Services, incident: Incident) -> list[ActionItem]:
    return services.repos.action_items.for_incident(incident.id)


def _open_item(services: Services, incident: Incident, item_id: int) -> ActionItem:
    item = services.repos.action_items.get(item_id)
    if item is None or item.incident_id != incident.id:
        raise NotFound(f"Incident {incident.label} has no action item #{item_id}.")
    if item.done_at is not None:
        raise InvalidTransition(f"Action item #{item_id} is already done; it cannot be changed.")
    return item


def change(services: Services, incident: Incident, item_id: int, *, actor: str, text: str | None = None,
           owner: str | None = None, due: date | None = None) -> ActionItem:
    """Edit an open item's text, give it another owner, or move its due date."""
    require_responder(actor, services.config.access.responders, services.directory)
    item = _open_item(services, incident, item_id)
    fields, said = {}, []
    if text is not None:
        text = " ".join(text.split())
        if not text or len(text) > 500:
            raise UsageError("An action item needs a description of at most 500 characters.", USAGE)
        fields["text"] = text
        said.append(f"now “{text}”")
    if owner is not None:
        fields["owner"] = owner
        said.append(f"owner {person(item.owner) if item.owner else 'none'} → {person(owner)}")
    if due is not None:
        if due < services.clock.now().date():
            raise UsageError(f"The due date {due:%Y-%m-%d} is in the past.", USAGE)
        fields["due"] = due
        said.append(f"due {due:%Y-%m-%d}")
    changed = services.repos.action_items.update(item_id, **fields)
    if changed is None:
        raise InvalidTransition(f"Action item #{item_id} was completed or deleted meanwhile.")
    services.incidents.add_timeline(incident.id, kind="action_item", actor=actor, at=services.clock.now(),
                                    text=f"Action item #{item_id} changed: {'; '.join(said)}",
                                    data={"item": item_id, "user": owner, "previous": item.owner})
    return changed


def delete(services: Services, incident: Incident, item_id: int, *, actor: str) -> ActionItem:
    require_responder(actor, services.config.access.responders, services.directory)
    _open_item(services, incident, item_id)
    gone = services.repos.action_items.delete(item_id)
    if gone is None:
        raise NotFound(f"Action item #{item_id} was deleted meanwhile.")
    services.incidents.add_timeline(incident.id, kind="action_item", actor=actor, at=services.clock.now(),
                                    text=f"Action item #{item_id} deleted: {gone.text}", data={"item": item_id})
    return gone
