"""The typed commands of triage messages and digests (their buttons, menus and the dismiss form)."""

from __future__ import annotations

from handlers.jobs.command import Command


class DeclareFromFinding(Command):
    route = "finding.declare"
    finding: int
    channel: str | None = None  # the triage message's: where the incident was declared from


class LinkFinding(Command):
    route = "finding.link"
    finding: int
    incident: int


class AskPrivateLink(Command):
    """Add to incident → Private incident…: the form listing the private incidents this person may see."""

    route = "finding.link_private_form"
    opens_form = True
    finding: int


class SnoozeFinding(Command):
    route = "finding.snooze"
    finding: int
    choice: str


class AskDismissReason(Command):
    """Dismiss: the form asking why (responders only)."""

    route = "finding.dismiss_form"
    opens_form = True
    finding: int


class DismissFinding(Command):
    route = "finding.dismiss"
    finding: int
    reason: str


class ShowDigestPage(Command):
    route = "finding.digest_page"
    digest: int
    page: int


class OpenFinding(Command):
    """A digest's menu: the finding's own triage message."""

    route = "finding.open"
    finding: int
