"""Buttons on incident messages: Join and timeline pages."""

from __future__ import annotations

from core.incidents import service as incidents
from core.errors import UsageError
from core.services import Services
from handlers import blocks, ids
from handlers.incidents import blocks as incident_blocks
from handlers.middleware import ack_only, once


def register(jobs, services: Services) -> None:
    @once(services)
    def join(body, action, respond):
        """Invite whoever pressed Join into the incident channel."""
        user = body["user"]["id"]
        incident = incidents.find(services, actor=user, channel=None, ref=action.get("value", ""))
        if not incident.channel_id:
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

    jobs.action(ids.ACTION_INCIDENT_JOIN, ack_only, join)
    jobs.action(ids.ACTION_TIMELINE_PAGE, ack_only, timeline_page)
