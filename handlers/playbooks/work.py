"""The follow-through work after the ack: playbook checklists and action items, each one
core call rendered through the reply port."""

from __future__ import annotations

from core.incidents import action_items, service as incidents
from core.playbooks import runtime
from core.services import Services
from handlers.blocks import escape, section
from handlers.incidents.target import locate
from handlers.jobs.reply import Reply
from handlers.jobs.routes import Routes
from handlers.playbooks import blocks as playbook_blocks
from handlers.playbooks.commands import (AddActionItem, AnswerStep, AskStepAnswer, AttachPlaybook, ChangeActionItem,
                                         CompleteActionItem, CompleteStep, DeleteActionItem, ListActionItems,
                                         ReopenStep, ShowPlaybook)


def show_playbook(services: Services, command: ShowPlaybook, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    if incident.playbook and incident.playbook in services.playbooks:
        views = [runtime.checklist(services, incident, phase) for phase in services.playbooks[incident.playbook].phases]
        text, shown = playbook_blocks.all_phases(incident, [v for v in views if v.steps])
    else:
        names = ", ".join(f"`{escape(n)}`" for n in sorted(services.playbooks)) or "none configured"
        first = escape(sorted(services.playbooks)[0]) if services.playbooks else "<name>"
        text, shown = "Playbooks", [section(f"Incident {incident.label} has no playbook. Attach one with "
                                            f"`/incident playbook {first}`. Playbooks: {names}")]
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def attach_playbook(services: Services, command: AttachPlaybook, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    runtime.attach(services, incident, command.name, command.user)


def _item_line(item) -> str:
    return ((f" — owner <@{item.owner}>" if item.owner else "") + (f", due {item.due:%Y-%m-%d}" if item.due else ""))


def add_item(services: Services, command: AddActionItem, reply: Reply) -> None:
    incident, number_is_text = locate(services, command.user, command.target)
    wanted = command.item_if_here if number_is_text and command.item_if_here else command.item
    item = action_items.add(services, incident, text=wanted.text, owner=wanted.owner, due=wanted.due,
                            actor=command.user)
    reply.respond(text=f"Action item #{item.id} added", response_type="in_channel",
                  blocks=[section(f":dart: Action item #{item.id} for incident {incident.label}: {escape(item.text)}"
                                  + _item_line(item))])


def change_item(services: Services, command: ChangeActionItem, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    item = action_items.change(services, incident, command.item, actor=command.user, text=command.text,
                               owner=command.owner, due=command.due)
    reply.respond(text=f"Action item #{item.id} changed", response_type="in_channel",
                  blocks=[section(f":pencil2: Action item #{item.id}: {escape(item.text)}" + _item_line(item))])


def delete_item(services: Services, command: DeleteActionItem, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    gone = action_items.delete(services, incident, command.item, actor=command.user)
    reply.respond(text=f"Action item #{command.item} deleted", response_type="in_channel",
                  blocks=[section(f":wastebasket: Action item #{command.item} deleted: {escape(gone.text)}")])


def list_items(services: Services, command: ListActionItems, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    text, shown = playbook_blocks.action_items(incident, action_items.listed(services, incident))
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def complete_item(services: Services, command: CompleteActionItem, reply: Reply) -> None:
    incident, _ = action_items.complete(services, command.item, command.user)
    text, shown = playbook_blocks.action_items(incident, action_items.listed(services, incident))
    reply.respond(text=text, blocks=shown, replace_original=True)


def complete_step(services: Services, command: CompleteStep, reply: Reply) -> None:
    """Tick a checklist step; the checklist message shows who did it."""
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    runtime.complete(services, incident, command.step, command.user)


def reopen_step(services: Services, command: ReopenStep, reply: Reply) -> None:
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    runtime.reopen(services, incident, command.step, command.user)


def ask_answer(services: Services, command: AskStepAnswer, reply: Reply) -> None:
    """An `ask` step: its question in a short form; the answer goes on the timeline."""
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    question = runtime.question(services, incident, command.step)
    reply.open_form(playbook_blocks.answer_modal(incident, command.step, question))


def answer_step(services: Services, command: AnswerStep, reply: Reply) -> None:
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    runtime.complete(services, incident, command.step, command.user, answer=command.answer)


def register(routes: Routes) -> None:
    for command, run in ((ShowPlaybook, show_playbook), (AttachPlaybook, attach_playbook), (AddActionItem, add_item),
                         (ChangeActionItem, change_item), (DeleteActionItem, delete_item),
                         (ListActionItems, list_items), (CompleteActionItem, complete_item),
                         (CompleteStep, complete_step), (ReopenStep, reopen_step), (AskStepAnswer, ask_answer),
                         (AnswerStep, answer_step)):
        routes.add(command, run)
