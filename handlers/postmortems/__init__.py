"""The postmortem form and the document it produces."""

from __future__ import annotations


def register(jobs, services) -> None:
    from handlers.postmortems import views

    views.register(jobs, services)
