"""The postmortem's typed commands: `/incident postmortem` opens the form, its submission saves it."""

from __future__ import annotations

from handlers.incidents.target import Target
from handlers.jobs.command import Command


class OpenPostmortemForm(Command):
    route = "postmortem.form"
    opens_form = True
    target: Target


class SavePostmortem(Command):
    route = "postmortem.save"
    incident: str
    answers: dict[str, str]
