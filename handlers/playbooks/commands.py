"""The playbook domain's typed commands: `/incident playbook|action|actions`, the checklist's
buttons and the answer form, and the action items' Complete button."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from handlers.incidents.target import Target
from handlers.jobs.command import Command


class ShowPlaybook(Command):
    route = "playbook.show"
    target: Target


class AttachPlaybook(Command):
    route = "playbook.attach"
    target: Target
    name: str


class ItemText(BaseModel):
    """An action item as typed: its text, its owner (the one @-mention) and its due date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    owner: str | None = None
    due: date | None = None


class AddActionItem(Command):
    route = "action_item.add"
    target: Target
    item: ItemText
    item_if_here: ItemText | None = None  # the reading with the bare number first as the text's own


class ChangeActionItem(Command):
    """`/incident action edit|assign|due <#> …`: what is not None changes."""

    route = "action_item.change"
    target: Target
    item: int
    text: str | None = None
    owner: str | None = None
    due: date | None = None


class DeleteActionItem(Command):
    route = "action_item.delete"
    target: Target
    item: int


class ListActionItems(Command):
    route = "action_item.list"
    target: Target


class CompleteActionItem(Command):
    route = "action_item.complete"
    item: int


class CompleteStep(Command):
    route = "playbook.step_done"
    ref: str
    step: str


class ReopenStep(Command):
    route = "playbook.step_undo"
    ref: str
    step: str


class AskStepAnswer(Command):
    """An `ask` step's button: its question in a short form."""

    route = "playbook.step_question"
    opens_form = True
    ref: str
    step: str


class AnswerStep(Command):
    route = "playbook.step_answer"
    ref: str
    step: str
    answer: str
