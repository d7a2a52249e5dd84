"""Buttons and the dismiss modal of triage messages and digests.

Every listener acks at once and does its work after the ack, once per user act
(handlers.middleware.once); core.findings.triage checks the responder list and the state.
The triage message itself is re-rendered through the notifier, so the edit that shows
"who did what" is paced like every other message in that channel."""

from __future__ import annotations

from core.errors import UsageError
from core.findings import triage
from core.services import Services
from handlers import ids
from handlers.findings import blocks as triage_blocks
from handlers.middleware import accept, ack_only, once


def _numbers(value: str, parts: int) -> list[int]:
    """"12:3" -> [12, 3]; a clear error instead of a crash on a tampered value."""
    pieces = (value or "").split(":")
    if len(pieces) != parts or not all(p.isdigit() for p in pieces):
        raise UsageError("That button is out of date; use the latest message.")
    return [int(p) for p in pieces]


def _selected(action: dict) -> str:
    return (action.get("selected_option") or {}).get("value", "")


def register(jobs, services: Services) -> None:
    @once(services)
    def declare(body, action):
        [pk] = _numbers(action.get("value", ""), 1)
        triage.declare_incident(services, pk, body["user"]["id"], origin_channel=(body.get("channel") or {}).get("id"))

    @once(services)
    def link(body, action):
        pk, incident_id = _numbers(_selected(action), 2)
        triage.link_to_incident(services, pk, incident_id, body["user"]["id"])

    @once(services)
    def snooze(body, action):
        pk, _, choice = _selected(action).partition(":")
        [pk_number] = _numbers(pk, 1)
        triage.snooze(services, pk_number, body["user"]["id"], choice)

    @once(services)
    def ask_reason(body, action, client):
        """Only responders get the modal; the reason is required there."""
        [pk] = _numbers(action.get("value", ""), 1)
        triage.require_triager(services, body["user"]["id"])
        client.views_open(trigger_id=body["trigger_id"], view=triage_blocks.dismiss_modal(triage.get(services, pk)))

    def ack_reason(ack, view, context):
        reason = (((view.get("state") or {}).get("values") or {}).get("reason") or {}).get("reason") or {}
        if not " ".join((reason.get("value") or "").split()):
            return ack(response_action="errors", errors={"reason": "Say why this is a false positive."})
        accept(ack, context, reason["value"])

    @once(services)
    def dismiss(body, view, parsed):
        [pk] = _numbers(view.get("private_metadata", ""), 1)
        triage.dismiss(services, pk, body["user"]["id"], parsed)

    @once(services)
    def digest_page(body, action, respond):
        digest_id, page = _numbers(action.get("value", ""), 2)
        triage.require_triager(services, body["user"]["id"])
        digest = triage.get_digest(services, digest_id)
        items = triage.digest_items(services, digest_id, page * triage_blocks.PAGE_SIZE, triage_blocks.PAGE_SIZE)
        text, shown = triage_blocks.digest_page(digest, items, page)
        respond(text=text, blocks=shown, response_type="ephemeral", replace_original=False)

    @once(services)
    def open_finding(body, action):
        [pk] = _numbers(_selected(action), 1)
        triage.open_from_digest(services, pk, body["user"]["id"])

    jobs.action(ids.ACTION_FINDING_DECLARE, ack_only, declare)
    jobs.action(ids.ACTION_FINDING_LINK, ack_only, link)
    jobs.action(ids.ACTION_FINDING_SNOOZE, ack_only, snooze)
    jobs.action(ids.ACTION_FINDING_DISMISS, ack_only, ask_reason)
    jobs.action(ids.ACTION_DIGEST_PAGE, ack_only, digest_page)
    jobs.action(ids.ACTION_FINDING_OPEN, ack_only, open_finding)
    jobs.view(ids.VIEW_FINDING_DISMISS, ack_reason, dismiss)
