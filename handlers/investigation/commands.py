"""The investigation's typed commands: `/investigate` and a playbook step's Run button."""

from __future__ import annotations

from core.investigation.model import Question
from handlers.jobs.command import Command


class Investigate(Command):
    """`/investigate <subject> <value> …`: core's question, parsed and checked in the ack."""

    route = "investigate.ask"
    question: Question
    channel: str | None = None


class InvestigateFromPlaybook(Command):
    route = "investigate.from_playbook"
    ref: str
    step: str
