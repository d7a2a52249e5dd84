"""The investigation's work after the ack: ask core, show the summary (in the incident's
channel, else to the asker alone) and attach the events as CSV in the incident's channel;
a running pack query keeps one progress message there up to date."""

from __future__ import annotations

from core.errors import FirebreakError
from core.incidents import service as incidents
from core.investigation import service
from core.investigation.model import Question
from core.playbooks import runtime as playbooks
from core.services import Services
from handlers.investigation import blocks as investigation_blocks
from handlers.investigation.commands import Investigate, InvestigateFromPlaybook
from handlers.investigation.progress import ProgressMessage
from handlers.jobs.reply import Reply
from handlers.jobs.routes import Routes


def investigate(services: Services, command: Investigate, reply: Reply) -> None:
    answer(services, reply, actor=command.user, channel=command.channel, question=command.question)


def from_playbook(services: Services, command: InvestigateFromPlaybook, reply: Reply) -> None:
    """A playbook's investigate step, run with its button: the same question, checked the same way."""
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    question = playbooks.investigate_step(services, incident, command.step)
    service.check(services, question)
    answer(services, reply, actor=command.user, channel=incident.channel_id, question=question)


def answer(services: Services, reply: Reply, *, actor: str, channel: str | None, question: Question) -> None:
    """Shown in the channel only in the incident's own channel; elsewhere to the asker alone,
    with the events attached in the incident's channel (private incidents included)."""
    where = service.place(service.incident_for(services, actor=actor, channel=channel, question=question), channel)
    progress = ProgressMessage(reply, where.channel, question)
    try:
        result, _ = service.investigate(services, actor=actor, channel=channel, question=question,
                                        progress=progress)
    except FirebreakError as exc:
        progress.finish(failed=exc.message)
        raise
    progress.finish(events=len(result.events))
    text, shown = investigation_blocks.answer(result, attached_in=where.channel)
    reply.respond(text=text, blocks=shown, response_type="in_channel" if where.in_channel else "ephemeral",
                  replace_original=False)
    if result.events and where.channel:
        source = "" if result.engine == "cloudtrail" else f" ({service.ENGINE_NAMES[result.engine]})"
        services.chat.upload(where.channel, f"investigation-{question.subject}-{result.end:%Y%m%dT%H%M}.csv",
                             investigation_blocks.csv_text(result), f"CloudTrail events{source}: "
                             f"{question.subject} {question.value}, last {question.hours} h")


def register(routes: Routes) -> None:
    routes.add(Investigate, investigate)
    routes.add(InvestigateFromPlaybook, from_playbook)
