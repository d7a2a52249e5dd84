"""The communications domain's work after the ack: stakeholder updates, pages, regulatory
clocks and AWS cases, each one core call rendered through the reply port."""

from __future__ import annotations

from core.communications import aws_cases, paging, regulatory, service
from core.communications.ports import PageFailed
from core.errors import UsageError
from core.incidents.service import find
from core.services import Services
from handlers.blocks import escape, section
from handlers.communications import blocks as comms_blocks
from handlers.communications.commands import (IrCase, OpenNotifyForm, Page, RecordDetermined, RecordNotified,
                                              SendNotice, ShowStakeholders, SupportCase)
from handlers.communications.views import notify_modal
from handlers.incidents.target import locate
from handlers.jobs.reply import Reply
from handlers.jobs.routes import Routes


def open_notify_form(services: Services, command: OpenNotifyForm, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    service.audience(services, command.audience)
    service.may_notify(services, incident, command.user, command.audience)
    message = service.compose(services, incident, command.audience, "manual", text=command.text,
                              sender=command.user)
    reply.open_form(notify_modal(message))


def send_notice(services: Services, command: SendNotice, reply: Reply) -> None:
    incident = find(services, actor=command.user, channel=None, ref=command.incident)
    sent = service.notify(services, incident, command.audience, actor=command.user, text=command.text,
                          fields=dict(command.fields), key=command.key)
    if sent.state != "sent" and sent.state != "repeated":
        reply.dm(command.user, f"Incident {incident.label}: {sent.audience} was not told everywhere: "
                               f"{'; '.join(sent.errors)}"[:3000])


def show_stakeholders(services: Services, command: ShowStakeholders, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    repo = services.repos.communications
    report = service.stakeholders(services, incident)
    clocks = regulatory.summary_items(repo, services.config.communications, incident)
    text, shown = comms_blocks.stakeholders(incident, report, repo.pages(incident.id), clocks,
                                            aws_cases.summary_items(repo, incident))
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def page(services: Services, command: Page, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    try:
        paging.page(services, incident, command.to, message=command.message, actor=command.user)
    except PageFailed as exc:
        raise UsageError(f"{exc} (recorded on the timeline; run the command again to retry).") from None
    if command.target.channel != incident.channel_id:
        reply.respond(text=f"Paged {command.to}", response_type="ephemeral",
                      blocks=[section(f":rotating_light: Paged for incident {incident.label}.")])


def notified(services: Services, command: RecordNotified, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    record = regulatory.notified(services, incident, command.regime, command.user)
    if command.target.channel != incident.channel_id:
        reply.respond(text="Recorded", response_type="ephemeral",
                      blocks=[section(f":white_check_mark: {escape(record.regime)} notification recorded for "
                                      f"incident {incident.label}.")])


def determined(services: Services, command: RecordDetermined, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    regulatory.determined(services, incident, command.regime, command.user)


def support_case(services: Services, command: SupportCase, reply: Reply) -> None:
    incident, number_is_text = locate(services, command.user, command.target)
    action, severity, text = command.action, command.severity, command.text
    if number_is_text:  # all of the text, as written: a case opened with the configured severity
        action, severity, text = "open", None, command.text_if_here or ""
    here = command.target.channel == incident.channel_id
    if action == "reply":
        record = aws_cases.reply_support(services, incident, actor=command.user, text=text, key=command.key)
        if not here:
            reply.respond(text="Replied", response_type="ephemeral", blocks=[section(
                f":white_check_mark: Replied on AWS Support case `{escape(record.case_id)}` of incident "
                f"{incident.label}.")])
        return
    opened = aws_cases.open_support(services, incident, actor=command.user, severity=severity, text=text)
    _case_answer(reply, incident, opened, here, "Reply to it with `/incident aws-support reply <text>`.")


def ir_case(services: Services, command: IrCase, reply: Reply) -> None:
    incident, number_is_text = locate(services, command.user, command.target)
    text = command.text_if_here if number_is_text else command.text
    opened = aws_cases.open_ir(services, incident, actor=command.user, text=text or "", key=command.key)
    _case_answer(reply, incident, opened, command.target.channel == incident.channel_id,
                 "Notes added with `/incident note <text>` are sent to it.")


def _case_answer(reply: Reply, incident, opened, here: bool, follow_up: str) -> None:
    record, name = opened.record, aws_cases.NAMES[opened.record.kind]
    if not opened.created:
        text = (f"Incident {incident.label} has an {name} already: `{escape(record.case_id or '')}` "
                f"({escape(record.status or record.state)}). {follow_up}")
        reply.respond(text=f"{name} open already", response_type="ephemeral", blocks=[section(text)])
    elif not here:
        reply.respond(text=f"{name} opened", response_type="ephemeral", blocks=[section(
            f":white_check_mark: {name} `{escape(record.case_id)}` opened for incident {incident.label}.")])


def register(routes: Routes) -> None:
    for command, run in ((OpenNotifyForm, open_notify_form), (SendNotice, send_notice),
                         (ShowStakeholders, show_stakeholders), (Page, page), (RecordNotified, notified),
                         (RecordDetermined, determined), (SupportCase, support_case), (IrCase, ir_case)):
        routes.add(command, run)
