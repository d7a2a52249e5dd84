"""`/incident` subcommands for communications, mixed into IncidentCommands (which provides
`services`, `client` and `_target`): notify, stakeholders, page, notified, determined,
aws-support, aws-ir."""

from __future__ import annotations

from core.communications import aws_cases, paging, regulatory, service
from core.communications.ports import PageFailed
from core.errors import UsageError
from handlers.blocks import escape, section
from handlers.communications import blocks as comms_blocks
from handlers.communications.views import notify_modal
from handlers.slack_text import from_slack, user_id


class CommunicationsCommands:
    def do_notify(self, args, rest, command, respond) -> None:
        incident, args, rest = self._target("notify", args, rest, command)
        if not args:
            raise UsageError("Name the audience.", service.NOTIFY_USAGE)
        name = args[0].lower()
        service.audience(self.services, name)
        service.may_notify(self.services, incident, command["user_id"])
        text = from_slack(rest[len(args[0]):].strip())
        message = service.compose(self.services, incident, name, "manual", text=text, sender=command["user_id"])
        self.client.views_open(trigger_id=command["trigger_id"], view=notify_modal(message))

    def do_stakeholders(self, args, rest, command, respond) -> None:
        incident, _, _ = self._target("stakeholders", args, rest, command)
        repo = self.services.repos.communications
        report = service.stakeholders(self.services, incident)
        clocks = regulatory.summary_items(repo, self.services.config.communications, incident)
        text, shown = comms_blocks.stakeholders(incident, report, repo.pages(incident.id), clocks,
                                                aws_cases.summary_items(repo, incident))
        respond(text=text, blocks=shown, response_type="ephemeral")

    def do_page(self, args, rest, command, respond) -> None:
        incident, args, rest = self._target("page", args, rest, command)
        if not args:
            raise UsageError("Name an audience with a pager, or @someone.", paging.PAGE_USAGE)
        target = user_id(args[0]) or args[0].lower()
        message = from_slack(rest[len(args[0]):].strip())
        try:
            paging.page(self.services, incident, target, message=message, actor=command["user_id"])
        except PageFailed as exc:
            raise UsageError(f"{exc} (recorded on the timeline; run the command again to retry).") from None
        if command.get("channel_id") != incident.channel_id:
            respond(text=f"Paged {target}", response_type="ephemeral",
                    blocks=[section(f":rotating_light: Paged for incident {incident.label}.")])

    def do_notified(self, args, rest, command, respond) -> None:
        incident, args, _ = self._target("notified", args, rest, command)
        if len(args) != 1:
            raise UsageError("Name the regime, e.g. `gdpr`.", regulatory.NOTIFIED_USAGE)
        record = regulatory.notified(self.services, incident, args[0], command["user_id"])
        if command.get("channel_id") != incident.channel_id:
            respond(text="Recorded", response_type="ephemeral",
                    blocks=[section(f":white_check_mark: {escape(record.regime)} notification recorded for "
                                    f"incident {incident.label}.")])

    def do_determined(self, args, rest, command, respond) -> None:
        incident, args, _ = self._target("determined", args, rest, command)
        if len(args) != 1:
            raise UsageError("Name the regime, e.g. `sec`.", regulatory.DETERMINED_USAGE)
        regulatory.determined(self.services, incident, args[0], command["user_id"])

    def do_aws_support(self, args, rest, command, respond) -> None:
        incident, _, rest = self._target("aws-support", args, rest, command)
        wanted, actor = aws_cases.parse_support(rest), command["user_id"]
        here = command.get("channel_id") == incident.channel_id
        if wanted.action == "reply":
            record = aws_cases.reply_support(self.services, incident, actor=actor, text=from_slack(wanted.text),
                                             key=f"command:{command.get('trigger_id')}")
            if not here:
                respond(text="Replied", response_type="ephemeral", blocks=[section(
                    f":white_check_mark: Replied on AWS Support case `{escape(record.case_id)}` of incident "
                    f"{incident.label}.")])
            return
        opened = aws_cases.open_support(self.services, incident, actor=actor, severity=wanted.severity,
                                        text=from_slack(wanted.text))
        self._case_answer(respond, incident, opened, here,
                          "Reply to it with `/incident aws-support reply <text>`.")

    def do_aws_ir(self, args, rest, command, respond) -> None:
        incident, _, rest = self._target("aws-ir", args, rest, command)
        opened = aws_cases.open_ir(self.services, incident, actor=command["user_id"], text=from_slack(rest),
                                   key=f"command:{command.get('trigger_id')}")
        self._case_answer(respond, incident, opened, command.get("channel_id") == incident.channel_id,
                          "Notes added with `/incident note <text>` are sent to it.")

    def _case_answer(self, respond, incident, opened, here: bool, follow_up: str) -> None:
        record, name = opened.record, aws_cases.NAMES[opened.record.kind]
        if not opened.created:
            text = (f"Incident {incident.label} has an {name} already: `{escape(record.case_id or '')}` "
                    f"({escape(record.status or record.state)}). {follow_up}")
            respond(text=f"{name} open already", response_type="ephemeral", blocks=[section(text)])
        elif not here:
            respond(text=f"{name} opened", response_type="ephemeral", blocks=[section(
                f":white_check_mark: {name} `{escape(record.case_id)}` opened for incident {incident.label}.")])
