"""The postmortem form and the document it produces."""

from __future__ import annotations


def register(app, services) -> None:
    from handlers.postmortems import views

    views.register(app, services)
