"""The postmortem: `/incident postmortem` (an entry of the /incident table) opens its form,
and the document it produces when submitted."""

from __future__ import annotations

from functools import partial


def register(app, services, intake) -> None:
    from handlers import ids
    from handlers.postmortems import views

    app.view(ids.VIEW_POSTMORTEM)(partial(views.postmortem_submitted, intake=intake))


def register_work(routes) -> None:
    from handlers.postmortems import work

    work.register(routes)
