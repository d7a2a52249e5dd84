"""`/contain`, `/evidence` and `/remediate`, as Slack delivers them: parsed once by the
command's table in the ack (help and usage errors are answered there), then committed as a
job holding the typed command, then acked."""

from __future__ import annotations

from core.errors import UsageError
from handlers.acks import refuse, show
from handlers.containment.table import TABLES
from handlers.jobs.intake import Intake
from handlers.jobs.origin import reply_to
from handlers.slash import Asked, Help


def response_command(ack, body, intake: Intake) -> None:
    table = TABLES[body.get("command") or "/contain"]
    try:
        parsed = table.parse(body.get("text", ""), Asked.of(body))
    except UsageError as exc:
        return refuse(ack, exc)
    if isinstance(parsed, Help):
        return show(ack, *table.help(parsed.problem))
    intake.accept(ack, body, parsed, reply_to(body))
