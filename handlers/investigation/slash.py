"""`/investigate`, as Slack delivers it: the ack parses the question once (the table) and
checks the engine asked for is set up (a usage error is answered there), then commits the
job holding the typed command and acks."""

from __future__ import annotations

from core.errors import UsageError
from core.investigation import service
from core.services import Services
from handlers.acks import refuse, show
from handlers.investigation.table import INVESTIGATE
from handlers.jobs.intake import Intake
from handlers.jobs.origin import reply_to
from handlers.slash import Asked, Help


def investigate_command(ack, body, services: Services, intake: Intake) -> None:
    try:
        parsed = INVESTIGATE.parse(body.get("text", ""), Asked.of(body))
        if not isinstance(parsed, Help):
            service.check(services, parsed.question)
    except UsageError as exc:
        return refuse(ack, exc)
    if isinstance(parsed, Help):
        return show(ack, *INVESTIGATE.help(parsed.problem))
    intake.accept(ack, body, parsed, reply_to(body))
