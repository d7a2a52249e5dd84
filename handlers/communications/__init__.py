"""Communications in Slack: `/incident notify|stakeholders|page|notified|determined|
aws-support|aws-ir` (entries of the /incident table), the notify form, stakeholder
messages and their Block Kit."""

from __future__ import annotations

from functools import partial


def register(app, services, intake) -> None:
    from handlers import ids
    from handlers.communications import views

    app.view(ids.VIEW_COMMS_NOTIFY)(partial(views.notify_submitted, intake=intake))


def register_work(routes) -> None:
    from handlers.communications import work

    work.register(routes)
