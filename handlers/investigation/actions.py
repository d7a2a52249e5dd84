"""A playbook's investigate step, run with its button."""

from __future__ import annotations

from handlers.investigation.commands import InvestigateFromPlaybook
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting


def from_playbook_pressed(ack, body, action, intake: Intake) -> None:
    ref, _, step = (action.get("value") or "").partition(":")
    intake.press(ack, body, lambda: InvestigateFromPlaybook(**acting(body), ref=ref, step=step))
