"""The web side of a job: commit the typed command, keyed by the Slack act, then ack.

The ack waits for the commit (one INSERT through Database.urgent_insert, store/jobs.py), so
nothing acknowledged is lost if the process dies right after; if the commit fails nothing
is acked and Slack tries again. A retry of the same act (the same natural key,
handlers.middleware.request_key) commits nothing new."""

from __future__ import annotations

import logging
import uuid
from typing import Callable

from core.jobs import JobQueue, utcnow
from core.telemetry import Telemetry
from core.errors import UsageError
from handlers.jobs.command import Command, ReplyTo, document
from handlers.jobs import origin
from handlers.jobs.refused import Refused
from handlers.middleware import request_key

log = logging.getLogger("firebreak.jobs")


class Intake:
    def __init__(self, jobs: JobQueue, telemetry: Telemetry):
        self.jobs, self.telemetry = jobs, telemetry

    def accept(self, ack: Callable, body: dict, command: Command, reply_to: ReplyTo) -> None:
        """Commit the job for this request, then ack it (without an answer)."""
        self.enqueue(body, command, reply_to)
        ack()

    def press(self, ack: Callable, body: dict, parse: Callable[[], Command]) -> None:
        """A button, menu or form: its value parsed into the typed command and committed, then
        the ack. A value that does not parse still acks (Slack shows nothing an action's ack
        says); the job then answers the usage error privately (handlers.jobs.refused)."""
        try:
            command = parse()
        except UsageError as exc:
            command = Refused(**origin.acting(body), message=exc.message, usage=exc.usage)
        self.accept(ack, body, command, origin.reply_to(body, form=command.opens_form))

    def enqueue(self, body: dict, command: Command, reply_to: ReplyTo) -> bool:
        """Commit the job; False when this Slack act was enqueued before (a retry)."""
        key = request_key(body) or f"once:{uuid.uuid4().hex}"  # no natural key: this delivery only
        added = self.jobs.enqueue(key=key, route=command.route, payload=document(command, reply_to), at=utcnow())
        if not added:
            self.telemetry.duplicate_requests.inc()
            log.info("ignored a repeated Slack request %s", key)
        return added
