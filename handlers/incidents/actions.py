"""Buttons on incident messages: Join and timeline pages."""

from __future__ import annotations

from handlers.incidents.commands import JoinIncident, ShowTimelinePage
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting


def join_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: JoinIncident(**acting(body), ref=action.get("value") or ""))


def timeline_page_pressed(ack, body, action, intake: Intake) -> None:
    def parse() -> ShowTimelinePage:
        ref, _, page = (action.get("value") or "").partition(":")
        return ShowTimelinePage(**acting(body), ref=ref, page=int(page) if page.isdigit() and int(page) > 0 else 1)

    intake.press(ack, body, parse)
