"""Triage messages and digests: their buttons, the dismiss form, and the notifier that posts them."""

from __future__ import annotations

from functools import partial


def register(app, services, intake) -> None:
    from handlers import ids
    from handlers.findings import actions

    for action_id, listener in ((ids.ACTION_FINDING_DECLARE, actions.declare_pressed),
                                (ids.ACTION_FINDING_LINK, actions.link_chosen),
                                (ids.ACTION_FINDING_SNOOZE, actions.snooze_chosen),
                                (ids.ACTION_FINDING_DISMISS, actions.dismiss_pressed),
                                (ids.ACTION_DIGEST_PAGE, actions.digest_page_pressed),
                                (ids.ACTION_FINDING_OPEN, actions.open_chosen)):
        app.action(action_id)(partial(listener, intake=intake))
    app.view(ids.VIEW_FINDING_DISMISS)(partial(actions.dismiss_submitted, intake=intake))
    app.view(ids.VIEW_FINDING_LINK_PRIVATE)(partial(actions.private_link_submitted, intake=intake))


def register_work(routes) -> None:
    from handlers.findings import work

    work.register(routes)
