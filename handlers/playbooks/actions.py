"""Buttons on playbook checklists and action item lists."""

from __future__ import annotations

from core import action_items, incidents
from core.errors import UsageError
from core.playbooks import runtime
from core.services import Services
from handlers import ids
from handlers.middleware import ack_only, once
from handlers.playbooks import blocks as playbook_blocks


def register(jobs, services: Services) -> None:
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

    jobs.action(ids.ACTION_PLAYBOOK_STEP, ack_only, playbook_step)
    jobs.action(ids.ACTION_ITEM_DONE, ack_only, action_item_done)
