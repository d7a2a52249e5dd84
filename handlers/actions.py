"""Buttons on incident messages: Join, timeline pages, playbook steps, action items."""

from __future__ import annotations

from core import action_items, incidents
from core.playbooks import runtime
from core.errors import UsageError
from core.services import Services
from handlers import blocks, ids, incident_blocks, playbook_blocks
from handlers.middleware import ack_only, once


def register(app, services: Services) -> None:
    @once(services)
    def join(body, action, respond):
        """Invite whoever pressed Join into the incident channel."""
        user = body["user"]["id"]
        incident = incidents.find(services, actor=user, channel=None, ref=action.get("value", ""))
        if not incident.channel_id or services.chat is None:
            raise UsageError(f"Incident {incident.label} has no channel yet.")
        services.chat.invite(incident.channel_id, [user])
        respond(text=f"You joined incident {incident.label}.", response_type="ephemeral", replace_original=False,
                blocks=[blocks.section(f":white_check_mark: You are in <#{incident.channel_id}> now.")])

    @once(services)
    def timeline_page(body, action, respond):
        """Replace the timeline message with the requested page."""
        ref, _, page = (action.get("value") or "").partition(":")
        incident = incidents.find(services, actor=body["user"]["id"], channel=None, ref=ref)
        page_number = int(page) if page.isdigit() and int(page) > 0 else 1
        entries, total = services.incidents.timeline_page(incident.id, page=page_number,
                                                          per_page=incident_blocks.TIMELINE_PER_PAGE)
        text, shown = incident_blocks.timeline_page(incident, entries, page_number, total)
        respond(text=text, blocks=shown, replace_original=True)

    @once(services)
    def playbook_step(body, action, respond):
        """Tick a checklist step; the checklist message shows who did it."""
        ref, _, key = (action.get("value") or "").partition(":")
        user = body["user"]["id"]
        runtime.complete(services, incidents.find(services, actor=user, channel=None, ref=ref), key, user)

    @once(services)
    def action_item_done(body, action, respond):
        item_ref = action.get("value") or ""
        if not item_ref.isdigit():
            raise UsageError("That button does not name an action item.")
        incident, _ = action_items.complete(services, int(item_ref), body["user"]["id"])
        text, shown = playbook_blocks.action_items(incident, action_items.listed(services, incident))
        respond(text=text, blocks=shown, replace_original=True)

    app.action(ids.ACTION_INCIDENT_JOIN)(ack=ack_only, lazy=[join])
    app.action(ids.ACTION_TIMELINE_PAGE)(ack=ack_only, lazy=[timeline_page])
    app.action(ids.ACTION_PLAYBOOK_STEP)(ack=ack_only, lazy=[playbook_step])
    app.action(ids.ACTION_ITEM_DONE)(ack=ack_only, lazy=[action_item_done])
