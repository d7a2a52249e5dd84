"""The response engine's work after the ack: one call into core.containment.service, which
decides, runs what is approved and keeps the request's card current."""

from __future__ import annotations

from core.containment import flow, sequence_plan, service
from core.errors import UsageError
from core.evidence import custody
from core.incidents import service as incidents
from core.services import Services
from handlers.containment import blocks as contain_blocks, plan_blocks
from handlers.containment.commands import (AskDenyReason, ContainFromFinding, ContainFromPlaybook, Decide,
                                           DecideSequencePlan, ProposeSequencePlan, RequestAction, ShowEvidence,
                                           ShowRequests)
from handlers.evidence import blocks as evidence_blocks
from handlers.jobs.reply import Reply
from handlers.jobs.routes import Routes


def request(services: Services, command: RequestAction, reply: Reply) -> None:
    service.submit(services, actor=command.user, channel=command.channel, command=command.parsed,
                   dedup_key=command.key)


def show_requests(services: Services, command: ShowRequests, reply: Reply) -> None:
    incident, requests = flow.status(services, actor=command.user, channel=command.channel, command=command.parsed)
    text, shown = contain_blocks.status_list(incident, requests, command.parsed.family)
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def show_evidence(services: Services, command: ShowEvidence, reply: Reply) -> None:
    """The evidence manifest (chain of custody) of the incident."""
    incident, _ = flow.status(services, actor=command.user, channel=command.channel, command=command.parsed)
    text, shown = evidence_blocks.manifest(incident, custody.manifest(services, incident.id))
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def decide(services: Services, command: Decide, reply: Reply) -> None:
    service.decide(services, command.request, actor=command.user, approve=command.approve, note=command.note)


def ask_deny_reason(services: Services, command: AskDenyReason, reply: Reply) -> None:
    found = services.repos.containment.get(command.request)
    if found is None:
        raise UsageError("That request no longer exists; use the latest containment message.")
    reply.open_form(contain_blocks.deny_modal(found))


def from_playbook(services: Services, command: ContainFromPlaybook, reply: Reply) -> None:
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    service.from_playbook_step(services, actor=command.user, incident=incident, step_key=command.step,
                               dedup_key=command.key)


def from_finding(services: Services, command: ContainFromFinding, reply: Reply) -> None:
    service.from_finding(services, actor=command.user, finding_pk=command.finding, choice=command.choice,
                         dedup_key=command.key)


def propose_plan(services: Services, command: ProposeSequencePlan, reply: Reply) -> None:
    """The plan's one card, in the incident's channel."""
    plan = sequence_plan.propose(services, actor=command.user, channel=command.channel, ref=command.incident,
                                 dry_run=command.dry_run)
    reply.post(plan.incident.channel_id or command.channel, *plan_blocks.plan_card(plan))


def decide_plan(services: Services, command: DecideSequencePlan, reply: Reply) -> None:
    """One decision for the whole plan; the card follows each step as it runs."""
    sequence_plan.decide(services, command.incident, actor=command.user, approve=command.approve,
                         progress=lambda plan: reply.update(command.card_channel, command.card_ts,
                                                            *plan_blocks.plan_card(plan)))


def register(routes: Routes) -> None:
    for command, run in ((RequestAction, request), (ShowRequests, show_requests), (ShowEvidence, show_evidence),
                         (Decide, decide), (AskDenyReason, ask_deny_reason), (ContainFromPlaybook, from_playbook),
                         (ContainFromFinding, from_finding), (ProposeSequencePlan, propose_plan),
                         (DecideSequencePlan, decide_plan)):
        routes.add(command, run)
