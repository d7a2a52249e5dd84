"""Slack transport: the only package that knows Slack payloads."""

from __future__ import annotations

from core.services import Services


def register(app, services: Services) -> None:
    """Attach every listener, the request middleware and the error handler to `app`."""
    from handlers import actions, commands, errors, events, middleware, postmortem_view, triage, views

    from handlers.team_check import only_configured_team
    app.use(only_configured_team(services))  # first: another workspace's request reaches nothing
    app.use(middleware.count_requests(services))
    errors.install(app, services.telemetry)
    commands.register(app, services)
    events.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    postmortem_view.register(app, services)
    triage.register(app, services)  # findings: triage buttons, dismiss modal, digest pages
