"""The message in the channel that follows a running Athena or CloudTrail Lake query."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from core.investigation import service
from core.investigation.model import Question
from handlers.investigation import blocks as investigation_blocks
from handlers.jobs.reply import Reply

log = logging.getLogger("firebreak.investigation")


class ProgressMessage:
    """One message in the channel (posted at the first poll, updated when its state or its
    elapsed second changes). Slack refusing it stops the updates, never the query."""

    def __init__(self, reply: Reply, channel: str | None, question: Question):
        self.reply, self.channel, self.question = reply, channel, question
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
                self.ts = self.reply.post(self.channel, text, shown)
            else:
                self.reply.update(self.channel, self.ts, text, shown)
        except SlackApiError as exc:
            self.broken = True
            log.warning("the progress message of an investigation cannot be shown: %s",
                        exc.response.get("error") if exc.response is not None else exc)
