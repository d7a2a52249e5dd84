"""/incident, the declare form, Join and timeline buttons, mentions and pin reactions."""

from __future__ import annotations

from functools import partial


def register(app, services, intake) -> None:
    """The listeners (the ack side): each parses its request and commits the job."""
    from handlers import ids
    from handlers.incidents import actions, events, slash, views

    app.command(ids.COMMAND_INCIDENT)(partial(slash.incident_command, services=services, intake=intake))
    app.action(ids.ACTION_INCIDENT_JOIN)(partial(actions.join_pressed, intake=intake))
    app.action(ids.ACTION_TIMELINE_PAGE)(partial(actions.timeline_page_pressed, intake=intake))
    app.view(ids.VIEW_INCIDENT_DECLARE)(partial(views.declare_submitted, services=services, intake=intake))
    app.event(ids.EVENT_APP_MENTION)(partial(events.mentioned, intake=intake))
    app.event(ids.EVENT_REACTION_ADDED)(partial(events.reaction_added, services=services, intake=intake))
    app.event(ids.EVENT_REACTION_REMOVED)(partial(events.reaction_removed, services=services, intake=intake))


def register_work(routes) -> None:
    """The work (the worker side): a handler per typed command."""
    from handlers.incidents import work

    work.register(routes)
