"""Buttons on playbook checklists and action item lists."""

from __future__ import annotations

from core.incidents import action_items, service as incidents
from core.errors import UsageError
from core.playbooks import runtime
from core.services import Services
from handlers import ids
from handlers.middleware import accept, ack_only, once
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

    @once(services)
    def ask_answer(body, action, client):
        """An `ask` step: its question in a short form; the answer goes on the timeline."""
        ref, _, key = (action.get("value") or "").partition(":")
        incident = incidents.find(services, actor=body["user"]["id"], channel=None, ref=ref)
        question = runtime.question(services, incident, key)
        client.views_open(trigger_id=body["trigger_id"], view=playbook_blocks.answer_modal(incident, key, question))

    def ack_answer(ack, view, context):
        value = (((view.get("state") or {}).get("values") or {}).get("answer") or {}).get("answer") or {}
        if not " ".join((value.get("value") or "").split()):
            return ack(response_action="errors", errors={"answer": "Write the answer (it goes on the timeline)."})
        ref, _, key = (view.get("private_metadata") or "").partition(":")
        accept(ack, context, {"ref": ref, "key": key, "answer": value["value"]})

    @once(services)
    def answer(body, parsed):
        user = body["user"]["id"]
        incident = incidents.find(services, actor=user, channel=None, ref=parsed["ref"])
        runtime.complete(services, incident, parsed["key"], user, answer=parsed["answer"])

    @once(services)
    def undo_step(body, action):
        ref, _, key = (action.get("value") or "").partition(":")
        user = body["user"]["id"]
        runtime.reopen(services, incidents.find(services, actor=user, channel=None, ref=ref), key, user)

    jobs.action(ids.ACTION_PLAYBOOK_STEP, ack_only, playbook_step)
    jobs.action(ids.ACTION_PLAYBOOK_ANSWER, ack_only, ask_answer)
    jobs.action(ids.ACTION_PLAYBOOK_UNDO, ack_only, undo_step)
    jobs.view(ids.VIEW_PLAYBOOK_ANSWER, ack_answer, answer)
    jobs.action(ids.ACTION_ITEM_DONE, ack_only, action_item_done)
