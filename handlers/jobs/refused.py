"""A button or form whose value does not parse (an old message, a tampered value).

Slack shows nothing an action's ack says, so the refusal is answered like any error of the
work: the job carries the usage error and the worker's one error path says it privately
(on the response_url, or in a DM to a form's submitter)."""

from __future__ import annotations

from core.errors import UsageError
from core.services import Services
from handlers.jobs.command import Command
from handlers.jobs.reply import Reply
from handlers.jobs.routes import Routes


class Refused(Command):
    route = "refused"
    message: str
    usage: str = ""


def refused(services: Services, command: Refused, reply: Reply) -> None:
    raise UsageError(command.message, command.usage)


def register(routes: Routes) -> None:
    routes.add(Refused, refused)
