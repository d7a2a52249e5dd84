"""Buttons on playbook checklists and action item lists, and the answer form of `ask` steps."""

from __future__ import annotations

from core.errors import UsageError
from handlers.acks import form_errors
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting, reply_to
from handlers.playbooks.commands import AnswerStep, AskStepAnswer, CompleteActionItem, CompleteStep, ReopenStep


def _step(action: dict) -> dict:
    """A checklist button's value `<incident>:<step key>`."""
    ref, _, step = (action.get("value") or "").partition(":")
    return {"ref": ref, "step": step}


def step_done_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: CompleteStep(**acting(body), **_step(action)))


def step_answer_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: AskStepAnswer(**acting(body), **_step(action)))


def step_undo_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: ReopenStep(**acting(body), **_step(action)))


def item_done_pressed(ack, body, action, intake: Intake) -> None:
    def parse() -> CompleteActionItem:
        value = action.get("value") or ""
        if not value.isdigit():
            raise UsageError("That button does not name an action item.")
        return CompleteActionItem(**acting(body), item=int(value))

    intake.press(ack, body, parse)


def answer_submitted(ack, body, view, intake: Intake) -> None:
    value = (((view.get("state") or {}).get("values") or {}).get("answer") or {}).get("answer") or {}
    if not " ".join((value.get("value") or "").split()):
        return form_errors(ack, {"answer": "Write the answer (it goes on the timeline)."})
    ref, _, step = (view.get("private_metadata") or "").partition(":")
    intake.accept(ack, body, AnswerStep(**acting(body), ref=ref, step=step, answer=value["value"]), reply_to(body))
