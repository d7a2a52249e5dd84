"""`/investigate`: the ack parses the question (a usage error is answered there); the work
after it asks core, posts the summary in the channel and attaches the events as CSV."""

from __future__ import annotations

from core.errors import UsageError
from core.investigation import service
from core.investigation.model import Question, parse
from core.services import Services
from handlers import ids
from handlers.investigation import blocks as investigation_blocks
from handlers.middleware import accept, once, refuse


def register(jobs, services: Services) -> None:
    def ack_investigate(ack, command, context):
        try:
            question = parse(command.get("text", ""))
        except UsageError as exc:
            return refuse(ack, exc.message, exc.usage)
        accept(ack, context, question)

    @once(services)
    def run_investigate(respond, command, parsed):
        result, incident = service.investigate(services, actor=command["user_id"],
                                               channel=command.get("channel_id"), question=parsed)
        text, shown = investigation_blocks.answer(result)
        respond(text=text, blocks=shown, response_type="in_channel")
        channel = command.get("channel_id") or (incident.channel_id if incident else None)
        if result.events and services.chat is not None and channel:
            services.chat.upload(channel, f"investigation-{parsed.subject}-{result.end:%Y%m%dT%H%M}.csv",
                                 investigation_blocks.csv_text(result), f"CloudTrail events: {parsed.subject} "
                                 f"{parsed.value}, last {parsed.hours} h")

    jobs.command(ids.COMMAND_INVESTIGATE, ack_investigate, run_investigate, parsed=Question)
