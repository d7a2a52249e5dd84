"""/investigate: read-only questions answered in the channel, with the events as a CSV file."""

from __future__ import annotations

from functools import partial


def register(app, services, intake) -> None:
    from handlers import ids
    from handlers.investigation import actions, slash

    app.command(ids.COMMAND_INVESTIGATE)(partial(slash.investigate_command, services=services, intake=intake))
    app.action(ids.ACTION_INVESTIGATE_FROM_PLAYBOOK)(partial(actions.from_playbook_pressed, intake=intake))


def register_work(routes) -> None:
    from handlers.investigation import work

    work.register(routes)
