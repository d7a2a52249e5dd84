"""`/contain`, `/evidence`, `/remediate` and the Approve / Deny buttons: three slash commands
of one response engine. The ack parses the text once (a usage error is answered there,
once); the work after the ack is one call into core.containment.service, which decides,
runs what is approved and keeps the request's card current."""

from __future__ import annotations

from core.incidents import service as incidents
from core.containment import flow, service
from core.containment.catalog import FAMILIES
from core.containment.parse import ContainCommand, parse, usage_lines
from core.errors import UsageError
from core.evidence import custody
from core.services import Services
from handlers import blocks, ids
from handlers.containment import blocks as contain_blocks
from handlers.evidence import blocks as evidence_blocks
from handlers.middleware import accept, ack_only, once, refuse


def _number(value: str | None) -> int:
    if not (value or "").isdigit():
        raise UsageError("That button is out of date; use the latest containment message.")
    return int(value)


COMMANDS = {ids.COMMAND_CONTAIN: "contain", ids.COMMAND_EVIDENCE: "evidence", ids.COMMAND_REMEDIATE: "remediate"}


def register(jobs, services: Services) -> None:
    def ack_response(ack, command, context):
        family = COMMANDS.get(command.get("command"), "contain")
        try:
            parsed = parse(command.get("text", ""), family)
        except UsageError as exc:
            return refuse(ack, exc.message, exc.usage)
        if parsed.sub == "help":
            text, shown = blocks.usage(FAMILIES[family].label, usage_lines(family))
            return ack(text=text, blocks=shown, response_type="ephemeral")
        accept(ack, context, parsed)

    @once(services)
    def run_response(respond, command, parsed):
        actor, channel = command["user_id"], command.get("channel_id")
        if parsed.sub == "status":
            incident, requests = flow.status(services, actor=actor, channel=channel, command=parsed)
            text, shown = contain_blocks.status_list(incident, requests, parsed.family)
            return respond(text=text, blocks=shown, response_type="ephemeral")
        if parsed.sub == "list":
            return _evidence_list(respond, actor, channel, parsed)
        service.submit(services, actor=actor, channel=channel, command=parsed,
                       dedup_key=f"slack:{command.get('trigger_id')}")

    def _evidence_list(respond, actor, channel, parsed):
        """The evidence manifest (chain of custody) of the incident."""
        incident, _ = flow.status(services, actor=actor, channel=channel, command=parsed)
        text, shown = evidence_blocks.manifest(incident, custody.manifest(services, incident.id))
        return respond(text=text, blocks=shown, response_type="ephemeral")

    @once(services)
    def approve(body, action):
        service.decide(services, _number(action.get("value")), actor=body["user"]["id"], approve=True)

    @once(services)
    def ask_why(body, action, client):
        """Deny opens a short form for the (optional) reason; the form's submission denies."""
        request = services.repos.containment.get(_number(action.get("value")))
        if request is None:
            raise UsageError("That request no longer exists; use the latest containment message.")
        client.views_open(trigger_id=body["trigger_id"], view=contain_blocks.deny_modal(request))

    def ack_deny(ack, view, context):
        values = ((view.get("state") or {}).get("values") or {}).get("reason", {}).get("reason") or {}
        accept(ack, context, {"request": view.get("private_metadata", ""), "reason": values.get("value") or ""})

    @once(services)
    def deny(body, parsed):
        service.decide(services, _number(parsed["request"]), actor=body["user"]["id"], approve=False,
                       note=parsed["reason"])

    @once(services)
    def from_playbook(body, action):
        """A playbook's contain step, requested with its button."""
        ref, _, key = (action.get("value") or "").partition(":")
        actor = body["user"]["id"]
        incident = incidents.find(services, actor=actor, channel=None, ref=ref)
        service.from_playbook_step(services, actor=actor, incident=incident, step_key=key,
                                   dedup_key=f"slack:{body.get('trigger_id')}")

    @once(services)
    def from_finding(body, action):
        """The "Contain…" menu of a finding that belongs to an incident."""
        pk, _, index = ((action.get("selected_option") or {}).get("value") or "").partition(":")
        if not (pk.isdigit() and index.isdigit()):
            raise UsageError("That menu entry no longer matches the finding; use /contain in the incident channel.")
        service.from_finding(services, actor=body["user"]["id"], finding_pk=int(pk), choice=int(index),
                             dedup_key=f"slack:{body.get('trigger_id')}")

    for name in COMMANDS:
        jobs.command(name, ack_response, run_response, parsed=ContainCommand)
    jobs.action(ids.ACTION_CONTAIN_FROM_FINDING, ack_only, from_finding)
    jobs.action(ids.ACTION_CONTAIN_FROM_PLAYBOOK, ack_only, from_playbook)
    jobs.action(ids.ACTION_CONTAIN_APPROVE, ack_only, approve)
    jobs.action(ids.ACTION_CONTAIN_DENY, ack_only, ask_why)
    jobs.view(ids.VIEW_CONTAIN_DENY, ack_deny, deny)
