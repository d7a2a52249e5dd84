"""Playbook checklists and action items: their `/incident` subcommands (entries of the
/incident table, parsed in subcommands.py), buttons, the answer form and the work."""

from __future__ import annotations

from functools import partial


def register(app, services, intake) -> None:
    from handlers import ids
    from handlers.playbooks import actions

    app.action(ids.ACTION_PLAYBOOK_STEP)(partial(actions.step_done_pressed, intake=intake))
    app.action(ids.ACTION_PLAYBOOK_ANSWER)(partial(actions.step_answer_pressed, intake=intake))
    app.action(ids.ACTION_PLAYBOOK_UNDO)(partial(actions.step_undo_pressed, intake=intake))
    app.view(ids.VIEW_PLAYBOOK_ANSWER)(partial(actions.answer_submitted, intake=intake))
    app.action(ids.ACTION_ITEM_DONE)(partial(actions.item_done_pressed, intake=intake))


def register_work(routes) -> None:
    from handlers.playbooks import work

    work.register(routes)
