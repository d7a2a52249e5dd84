"""The investigation's work after the ack: ask core, post the summary in the channel and
attach the events as CSV; a running pack query keeps one progress message up to date."""

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
    progress = ProgressMessage(reply, channel, question)
    try:
        result, incident = service.investigate(services, actor=actor, channel=channel, question=question,
                                               progress=progress)
    except FirebreakError as exc:
        progress.finish(failed=exc.message)
        raise
    progress.finish(events=len(result.events))
    text, shown = investigation_blocks.answer(result)
    reply.respond(text=text, blocks=shown, response_type="in_channel", replace_original=False)
    channel = channel or (incident.channel_id if incident else None)
    if result.events and channel:
        source = "" if result.engine == "cloudtrail" else f" ({service.ENGINE_NAMES[result.engine]})"
        services.chat.upload(channel, f"investigation-{question.subject}-{result.end:%Y%m%dT%H%M}.csv",
                             investigation_blocks.csv_text(result), f"CloudTrail events{source}: "
                             f"{question.subject} {question.value}, last {question.hours} h")


def register(routes: Routes) -> None:
    routes.add(Investigate, investigate)
    routes.add(InvestigateFromPlaybook, from_playbook)
