"""The communications domain's typed commands: `/incident notify|stakeholders|page|notified|
determined|aws-support|aws-ir` and the notify form's submission."""

from __future__ import annotations

from typing import Literal

from handlers.incidents.target import Target
from handlers.jobs.command import Command


class OpenNotifyForm(Command):
    """`/incident notify`: the stakeholder update, pre-filled from the incident, in a form."""

    route = "comms.notify_form"
    opens_form = True
    target: Target
    audience: str
    text: str = ""


class SendNotice(Command):
    """The notify form submitted: the update goes to the audience."""

    route = "comms.notify"
    incident: str
    audience: str
    text: str = ""
    fields: dict[str, str]  # what_happened, impact, phase, next_update as edited
    key: str


class ShowStakeholders(Command):
    route = "comms.stakeholders"
    target: Target


class Page(Command):
    route = "comms.page"
    target: Target
    to: str  # an audience with a pager, or a user id
    message: str = ""


class RecordNotified(Command):
    route = "comms.notified"
    target: Target
    regime: str


class RecordDetermined(Command):
    route = "comms.determined"
    target: Target
    regime: str


class SupportCase(Command):
    """`/incident aws-support`: open the incident's AWS Support case, or reply on it."""

    route = "comms.aws_support"
    target: Target
    action: Literal["open", "reply"] = "open"
    severity: str | None = None
    text: str = ""
    # Inside an incident channel a bare number first is the text's: then it opens a case
    # with all of the text and the configured severity.
    text_if_here: str | None = None
    key: str


class IrCase(Command):
    """`/incident aws-ir`: open an AWS Security Incident Response case."""

    route = "comms.aws_ir"
    target: Target
    text: str = ""
    text_if_here: str | None = None
    key: str
