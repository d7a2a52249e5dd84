"""Buttons, menus and the dismiss form of triage messages and digests.

Every listener parses the value it was given into a typed command in the ack (a tampered
or outdated value is answered privately by the job, handlers.jobs.refused) and commits it;
core.findings.triage checks the responder list and the state in the work."""

from __future__ import annotations

from core.errors import UsageError
from handlers.acks import form_errors
from handlers.findings.blocks import PRIVATE_CHOICE
from handlers.findings.commands import (AskDismissReason, AskPrivateLink, DeclareFromFinding, DismissFinding,
                                        LinkFinding, OpenFinding, ShowDigestPage, SnoozeFinding)
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting, channel_of


def _numbers(value: str, parts: int) -> list[int]:
    """"12:3" -> [12, 3]; a clear error instead of a crash on a tampered value."""
    pieces = (value or "").split(":")
    if len(pieces) != parts or not all(p.isdigit() for p in pieces):
        raise UsageError("That button is out of date; use the latest message.")
    return [int(p) for p in pieces]


def _selected(action: dict) -> str:
    return (action.get("selected_option") or {}).get("value", "")


def declare_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: DeclareFromFinding(**acting(body), finding=_numbers(action.get("value", ""), 1)[0],
                                                       channel=channel_of(body)))


def link_chosen(ack, body, action, intake: Intake) -> None:
    def parse() -> LinkFinding | AskPrivateLink:
        pk, _, choice = _selected(action).partition(":")
        if choice == PRIVATE_CHOICE:  # the private incidents are listed to this person only, in a form
            return AskPrivateLink(**acting(body), finding=_numbers(pk, 1)[0])
        finding, incident = _numbers(_selected(action), 2)
        return LinkFinding(**acting(body), finding=finding, incident=incident)

    intake.press(ack, body, parse)


def private_link_submitted(ack, body, view, intake: Intake) -> None:
    chosen = ((((view.get("state") or {}).get("values") or {}).get("incident") or {}).get("incident") or {})
    value = (chosen.get("selected_option") or {}).get("value", "")
    if not value:
        return form_errors(ack, {"incident": "Choose the incident."})
    finding = view.get("private_metadata", "")
    intake.press(ack, body, lambda: LinkFinding(**acting(body), finding=_numbers(finding, 1)[0],
                                                incident=_numbers(value, 1)[0]))


def snooze_chosen(ack, body, action, intake: Intake) -> None:
    def parse() -> SnoozeFinding:
        pk, _, choice = _selected(action).partition(":")
        return SnoozeFinding(**acting(body), finding=_numbers(pk, 1)[0], choice=choice)

    intake.press(ack, body, parse)


def dismiss_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: AskDismissReason(**acting(body), finding=_numbers(action.get("value", ""), 1)[0]))


def dismiss_submitted(ack, body, view, intake: Intake) -> None:
    reason = (((view.get("state") or {}).get("values") or {}).get("reason") or {}).get("reason") or {}
    if not " ".join((reason.get("value") or "").split()):
        return form_errors(ack, {"reason": "Say why this is a false positive."})
    intake.press(ack, body, lambda: DismissFinding(
        **acting(body), finding=_numbers(view.get("private_metadata", ""), 1)[0], reason=reason["value"]))


def digest_page_pressed(ack, body, action, intake: Intake) -> None:
    def parse() -> ShowDigestPage:
        digest, page = _numbers(action.get("value", ""), 2)
        return ShowDigestPage(**acting(body), digest=digest, page=page)

    intake.press(ack, body, parse)


def open_chosen(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: OpenFinding(**acting(body), finding=_numbers(_selected(action), 1)[0]))
