"""Communications in Slack: `/incident notify|stakeholders|page|notified|determined`
(mixed into the incident commands), the notify form, stakeholder messages and their Block Kit."""

from __future__ import annotations

from core.services import Services


def register(jobs, services: Services) -> None:
    from handlers.communications import views

    views.register(jobs, services)
