"""`/investigate`: the ack parses the question and checks the engine asked for is set up (a
usage error is answered there); the work after it asks core, posts the summary in the
channel and attaches the events as CSV. An Athena or CloudTrail Lake query shows its
progress in one channel message, kept up to date while it runs."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from core.errors import FirebreakError, UsageError
from core.investigation import service
from core.investigation.model import Question, parse
from core.playbooks import runtime as playbooks
from core.incidents import service as incidents
from core.services import Services
from handlers import ids
from handlers.investigation import blocks as investigation_blocks
from handlers.middleware import accept, ack_only, once, refuse

log = logging.getLogger("firebreak.investigation")


class ProgressMessage:
    """One message in the channel that follows a running query (posted at the first poll,
    updated when its state or its elapsed second changes). Slack refusing it stops the
    updates, never the query."""

    def __init__(self, client, channel: str | None, question: Question):
        self.client, self.channel, self.question = client, channel, question
        self.ts: str | None = None
        self.shown: tuple | None = None
        self.engine: str | None = None
        self.query_id: str | None = None
        self.broken = not channel

    def __call__(self, step: service.Progress) -> None:
        self.engine, self.query_id = step.engine, step.query_id
        if self.broken or self.shown == (step.state, int(step.elapsed)):
            return
        self.shown = (step.state, int(step.elapsed))
        self._show(*investigation_blocks.progress(self.question, step))

    def finish(self, **outcome) -> None:
        if self.engine is not None and not self.broken and self.ts is not None:
            self._show(*investigation_blocks.finished(self.question, self.engine, self.query_id, **outcome))

    def _show(self, text: str, shown: list[dict]) -> None:
        try:
            if self.ts is None:
                self.ts = self.client.chat_postMessage(channel=self.channel, text=text, blocks=shown)["ts"]
            else:
                self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=shown)
        except SlackApiError as exc:
            self.broken = True
            log.warning("the progress message of an investigation cannot be shown: %s",
                        exc.response.get("error") if exc.response is not None else exc)


def register(jobs, services: Services) -> None:
    def ack_investigate(ack, command, context):
        try:
            question = parse(command.get("text", ""))
            service.check(services, question)
        except UsageError as exc:
            return refuse(ack, exc.message, exc.usage)
        accept(ack, context, question)

    @once(services)
    def run_investigate(respond, command, parsed, client):
        answer(respond, client, actor=command["user_id"], channel=command.get("channel_id"), question=parsed)

    @once(services)
    def from_playbook(body, action, respond, client):
        """A playbook's investigate step, run with its button: the same question, checked the same way."""
        ref, _, key = (action.get("value") or "").partition(":")
        actor = body["user"]["id"]
        incident = incidents.find(services, actor=actor, channel=None, ref=ref)
        question = playbooks.investigate_step(services, incident, key)
        service.check(services, question)
        answer(respond, client, actor=actor, channel=incident.channel_id, question=question)

    def answer(respond, client, *, actor: str, channel: str | None, question: Question) -> None:
        progress = ProgressMessage(client, channel, question)
        try:
            result, incident = service.investigate(services, actor=actor, channel=channel, question=question,
                                                   progress=progress)
        except FirebreakError as exc:
            progress.finish(failed=exc.message)
            raise
        progress.finish(events=len(result.events))
        text, shown = investigation_blocks.answer(result)
        respond(text=text, blocks=shown, response_type="in_channel", replace_original=False)
        channel = channel or (incident.channel_id if incident else None)
        parsed = question
        if result.events and channel:
            source = "" if result.engine == "cloudtrail" else f" ({service.ENGINE_NAMES[result.engine]})"
            services.chat.upload(channel, f"investigation-{parsed.subject}-{result.end:%Y%m%dT%H%M}.csv",
                                 investigation_blocks.csv_text(result), f"CloudTrail events{source}: "
                                 f"{parsed.subject} {parsed.value}, last {parsed.hours} h")

    jobs.command(ids.COMMAND_INVESTIGATE, ack_investigate, run_investigate, parsed=Question)
    jobs.action(ids.ACTION_INVESTIGATE_FROM_PLAYBOOK, ack_only, from_playbook)
