"""`/incident`, as Slack delivers it: parsed once by the table (handlers/incidents/table.py)
in the ack. Help, a usage error and the declare form are answered there; anything else is
committed as a job holding its typed command, then acked."""

from __future__ import annotations

from core.errors import UsageError
from core.services import Services
from handlers.acks import refuse, show
from handlers.incidents.commands import DeclareForm
from handlers.incidents.table import INCIDENT
from handlers.incidents.views import open_declare_modal
from handlers.jobs.intake import Intake
from handlers.jobs.origin import reply_to
from handlers.slash import Asked, Help


def incident_command(ack, body, client, services: Services, intake: Intake) -> None:
    try:
        parsed = INCIDENT.parse(body.get("text", ""), Asked.of(body, services.config))
    except UsageError as exc:
        return refuse(ack, exc)
    if isinstance(parsed, Help):
        return show(ack, *INCIDENT.help(parsed.problem))
    if isinstance(parsed, DeclareForm):
        ack()
        return open_declare_modal(client, parsed.trigger_id, services, parsed.channel, parsed.private)
    intake.accept(ack, body, parsed, reply_to(body, form=parsed.opens_form))
