"""The triage work after the ack: one core.findings.triage call each. The triage message
itself is re-rendered through the notifier, so the edit that shows "who did what" is paced
like every other message in that channel."""

from __future__ import annotations

from core.findings import triage
from core.services import Services
from handlers.findings import blocks as triage_blocks
from handlers import blocks
from handlers.findings.commands import (AskDismissReason, AskPrivateLink, DeclareFromFinding, DismissFinding,
                                        LinkFinding, OpenFinding, ShowDigestPage, SnoozeFinding)
from handlers.jobs.reply import Reply
from handlers.jobs.routes import Routes


def declare(services: Services, command: DeclareFromFinding, reply: Reply) -> None:
    triage.declare_incident(services, command.finding, command.user, origin_channel=command.channel)


def link(services: Services, command: LinkFinding, reply: Reply) -> None:
    triage.link_to_incident(services, command.finding, command.incident, command.user)


def ask_private_link(services: Services, command: AskPrivateLink, reply: Reply) -> None:
    """The form listing the open private incidents this person may see (none: said privately)."""
    choices = triage.private_choices(services, command.finding, command.user)
    if not choices:
        text = ("No open private incident is shared with you. Private incidents are listed only to their "
                "role holders, channel members and incidents.private_viewers.")
        return reply.respond(text=text, blocks=[blocks.section(blocks.escape(text))], response_type="ephemeral",
                             replace_original=False)
    reply.open_form(triage_blocks.private_link_modal(triage.get(services, command.finding), choices))


def snooze(services: Services, command: SnoozeFinding, reply: Reply) -> None:
    triage.snooze(services, command.finding, command.user, command.choice)


def ask_reason(services: Services, command: AskDismissReason, reply: Reply) -> None:
    """Only responders get the form; the reason is required there."""
    triage.require_triager(services, command.user)
    reply.open_form(triage_blocks.dismiss_modal(triage.get(services, command.finding)))


def dismiss(services: Services, command: DismissFinding, reply: Reply) -> None:
    triage.dismiss(services, command.finding, command.user, command.reason)


def digest_page(services: Services, command: ShowDigestPage, reply: Reply) -> None:
    triage.require_triager(services, command.user)
    digest = triage.get_digest(services, command.digest)
    items = triage.digest_items(services, command.digest, command.page * triage_blocks.PAGE_SIZE,
                                triage_blocks.PAGE_SIZE)
    text, shown = triage_blocks.digest_page(digest, items, command.page)
    reply.respond(text=text, blocks=shown, response_type="ephemeral", replace_original=False)


def open_finding(services: Services, command: OpenFinding, reply: Reply) -> None:
    triage.open_from_digest(services, command.finding, command.user)


def register(routes: Routes) -> None:
    for command, run in ((DeclareFromFinding, declare), (LinkFinding, link), (AskPrivateLink, ask_private_link),
                         (SnoozeFinding, snooze),
                         (AskDismissReason, ask_reason), (DismissFinding, dismiss), (ShowDigestPage, digest_page),
                         (OpenFinding, open_finding)):
        routes.add(command, run)
