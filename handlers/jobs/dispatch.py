"""The worker side of a job: its document back into the typed command, run by the route's
handler, and how the job ends.

No Bolt here: the document is validated against the command's own model (a row that is
not one of our commands is a dead letter, never a Slack request to replay), and the
handler answers through a reply port over the Web API client. The work runs once per
Slack act (core.acts keys what it writes by the job's key). A domain error is answered to
the user and the job is done; a failure worth retrying (Slack unavailable, a dropped
connection, AWS throttling) is retried silently until the last attempt, which answers the
user; anything unexpected is answered with an error id and kept as a dead letter."""

from __future__ import annotations

from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core import acts, jobs
from core.audit import service as audit
from core.integrity import JOBS, Seal
from core.errors import FirebreakError
from core.jobs import Job, JobFailed, RetryLater
from core.services import Services
from handlers.errors import describe
from handlers.jobs.command import Command, JobDocument
from handlers.jobs.reply import Reply
from handlers.jobs.retries import worth_retrying
from handlers.jobs.routes import Route, Routes


class Dispatcher:
    def __init__(self, services: Services, client: WebClient, routes: Routes, seal: Seal | None = None):
        self.services, self.client, self.routes = services, client, routes
        self.seal = seal or Seal(None, JOBS)  # the root's, keyed when FIREBREAK_AUDIT_KEY is set

    def read(self, job: Job) -> tuple[Route, Command, JobDocument]:
        """The job's route, its typed command and its document; JobFailed when the row holds
        anything else (an older payload, a tampered one)."""
        try:
            document = JobDocument.model_validate(job.payload)
        except ValidationError as exc:
            raise JobFailed(f"job {job.id} holds no command document: {_first(exc)}") from None
        route = self.routes.get(document.route)
        if route is None or document.route != job.route:
            raise JobFailed(f"no handler is registered for {document.route}")
        try:
            return route, route.command.model_validate(document.command), document
        except ValidationError as exc:
            raise JobFailed(f"job {job.id} holds no valid {document.route} command: {_first(exc)}") from None

    def execute(self, job: Job, final: bool = True) -> None:
        jobs.refuse_forged(job, self.seal, lambda event: audit.record(self.services, event))
        route, command, document = self.read(job)
        reply = Reply(self.client, document.reply_to)
        with acts.acting(job.key):
            try:
                route.run(self.services, command, reply)
            except Exception as exc:  # noqa: BLE001 - this *is* the one error path
                self._failed(exc, reply, final)

    def _failed(self, exc: Exception, reply: Reply, final: bool) -> None:
        retry = worth_retrying(exc)
        if retry and not final:
            raise RetryLater(str(exc) or type(exc).__name__) from exc
        text, shown = describe(exc, self.services.telemetry)
        reply.error(text, shown)
        if retry:
            raise RetryLater(f"gave up: {exc}") from exc
        if not isinstance(exc, (FirebreakError, SlackApiError)):
            raise JobFailed(f"{type(exc).__name__}: {exc}") from exc


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc']) or 'document'}: {error['msg']}"
