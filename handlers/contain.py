"""`/contain` and the Approve / Deny buttons: ack at once (usage on bad input), then plan,
decide and execute after the ack, once per user act. Decisions live in core.containment;
this module parses, calls core and keeps the request's card in the channel up to date.
A playbook's contain step can be requested with a button, the same way."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

from aws.actions.registry import AwsCatalog
from aws.sessions import AwsSessions
from core import incidents
from core.findings import triage
from core.containment import executor, flow
from core.containment.model import APPROVED, ContainRequest
from core.containment.parse import ContainCommand, parse, usage_lines
from core.containment.suggest import suggestions
from core.errors import UsageError
from core.playbooks import runtime as playbooks
from core.services import Services
from handlers import blocks, contain_blocks, ids
from handlers.middleware import ack_only, once

log = logging.getLogger("firebreak.containment")


class Cards:
    """Posts a request's card once, then edits that message as the request moves on."""

    def __init__(self, services: Services, app):
        self.services, self.app = services, app  # the app's Web API client, read when posting

    def publish(self, request: ContainRequest, fallback_channel: str | None = None) -> None:
        request = flow.store(self.services).get(request.id) or request  # render the latest state
        incident = self.services.incidents.get(request.incident_id)
        text, shown = contain_blocks.card(request, incident)
        if request.message_ts:
            self.app.client.chat_update(channel=request.message_channel, ts=request.message_ts, text=text, blocks=shown)
            return
        channel = incident.channel_id or fallback_channel
        posted = self.app.client.chat_postMessage(channel=channel, text=text, blocks=shown)
        flow.store(self.services).set_message(request.id, posted["channel"], posted["ts"])


class Recovery:
    """Settles what a crashed process left (at start, then at most every interval, riding
    along with containment activity so no extra thread outlives the app)."""

    def __init__(self, services: Services, catalog: AwsCatalog, cards: Cards):
        self.services, self.catalog, self.cards = services, catalog, cards
        self.interval = services.config.containment.recovery_interval_seconds
        self._last = 0.0
        self._lock = threading.Lock()

    def run(self, *, force: bool = False) -> None:
        with self._lock:
            due = force or (self.interval and time.monotonic() - self._last >= self.interval)
            if not due:
                return
            self._last = time.monotonic()
        for request in executor.recover(self.services, self.catalog):
            self.cards.publish(request)


def _request_id(action: dict) -> int:
    value = action.get("value") or ""
    if not value.isdigit():
        raise UsageError("That button is out of date; use the latest containment message.")
    return int(value)


def register(app, services: Services) -> None:
    cfg = services.config
    services.aws = services.aws or AwsSessions(cfg.aws, accounts=cfg.containment.accounts)
    catalog = AwsCatalog(services.aws, cfg.containment)
    cards = Cards(services, app)
    recovery = Recovery(services, catalog, cards)
    if services.executor is not None:
        services.executor.submit(recovery.run, force=True)

    def run(request: ContainRequest) -> None:
        """Execute an approved request here; None back means another click or replica has it."""
        if request.state == APPROVED and (done := executor.execute(services, catalog, request.id)) is not None:
            cards.publish(done)

    def ack_contain(ack, command):
        try:
            parsed = parse(command.get("text", ""))
        except UsageError as exc:
            text, shown = blocks.error_message(exc.message, exc.usage)
            return ack(text=text, blocks=shown, response_type="ephemeral")
        if parsed.sub == "help":
            text, shown = blocks.usage("Containment", usage_lines())
            return ack(text=text, blocks=shown, response_type="ephemeral")
        ack()

    @once(services)
    def run_contain(respond, command):
        parsed = parse(command.get("text", ""))
        if parsed.sub == "help":
            return
        recovery.run()
        actor, channel = command["user_id"], command.get("channel_id")
        key = f"slack:{command.get('trigger_id')}"
        if parsed.sub == "status":
            incident, requests = flow.status(services, actor=actor, channel=channel, command=parsed)
            text, shown = contain_blocks.status_list(incident, requests)
            return respond(text=text, blocks=shown, response_type="ephemeral")
        if parsed.sub == "undo":
            request = flow.undo(services, catalog, actor=actor, command=parsed, dedup_key=key)
        else:
            request = flow.request(services, catalog, actor=actor, channel=channel, command=parsed, dedup_key=key)
        cards.publish(request, fallback_channel=channel)
        run(request)

    def decide(approve: bool):
        @once(services)
        def listener(body, action):
            request = flow.decide(services, _request_id(action), actor=body["user"]["id"], approve=approve)
            cards.publish(request)
            run(request)
            recovery.run()

        listener.__name__ = "approve" if approve else "deny"
        return listener

    @once(services)
    def from_playbook(body, action, respond):
        """A playbook's contain step, requested as if its /contain command had been typed."""
        ref, _, key = (action.get("value") or "").partition(":")
        actor = body["user"]["id"]
        incident = incidents.find(services, actor=actor, channel=None, ref=ref)
        parsed = parse(playbooks.step_command(services, incident, key))
        request = flow.request(services, catalog, actor=actor, channel=incident.channel_id,
                               command=dataclasses.replace(parsed, incident=str(incident.id)),
                               dedup_key=f"slack:{body.get('trigger_id')}")
        cards.publish(request, fallback_channel=incident.channel_id)
        run(request)

    @once(services)
    def from_finding(body, action):
        """The "Contain…" menu of a finding that belongs to an incident: a request there."""
        pk, _, index = ((action.get("selected_option") or {}).get("value") or "").partition(":")
        finding = triage.get(services, int(pk)) if pk.isdigit() else None
        options = suggestions(finding.indicators, finding.resources) if finding else []
        if finding is None or finding.incident_id is None or not index.isdigit() or int(index) >= len(options):
            raise UsageError("That menu entry no longer matches the finding; use /contain in the incident channel.")
        name, target = options[int(index)]
        incident = services.incidents.get(finding.incident_id)
        parsed = ContainCommand("run", name, target, region=finding.region, incident=str(incident.id))
        request = flow.request(services, catalog, actor=body["user"]["id"], channel=incident.channel_id,
                               command=parsed, dedup_key=f"slack:{body.get('trigger_id')}")
        cards.publish(request, fallback_channel=incident.channel_id)
        run(request)

    app.command(ids.COMMAND_CONTAIN)(ack=ack_contain, lazy=[run_contain])
    app.action(ids.ACTION_CONTAIN_FROM_FINDING)(ack=ack_only, lazy=[from_finding])
    app.action(ids.ACTION_CONTAIN_FROM_PLAYBOOK)(ack=ack_only, lazy=[from_playbook])
    app.action(ids.ACTION_CONTAIN_APPROVE)(ack=ack_only, lazy=[decide(True)])
    app.action(ids.ACTION_CONTAIN_DENY)(ack=ack_only, lazy=[decide(False)])
