"""The postmortem's work after the ack: open the form; save the answers, generate the
document and share it in the incident channel."""

from __future__ import annotations

from core.incidents import postmortem
from core.incidents.service import find
from core.services import Services
from handlers.incidents.target import locate
from handlers.jobs.reply import Reply
from handlers.jobs.routes import Routes
from handlers.postmortems.commands import OpenPostmortemForm, SavePostmortem
from handlers.postmortems.views import postmortem_modal


def open_form(services: Services, command: OpenPostmortemForm, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    reply.open_form(postmortem_modal(incident))


def save(services: Services, command: SavePostmortem, reply: Reply) -> None:
    incident = find(services, actor=command.user, channel=None, ref=command.incident)
    incident = postmortem.save_answers(services, incident, dict(command.answers), command.user)
    postmortem.publish(services, incident)


def register(routes: Routes) -> None:
    routes.add(OpenPostmortemForm, open_form)
    routes.add(SavePostmortem, save)
