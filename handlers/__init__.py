"""Slack transport: the only package that knows Slack payloads."""

from __future__ import annotations

from core.services import Services


def register(app, services: Services) -> None:
    """Attach every listener, the request middleware and the error handler to `app`."""
    from handlers import commands, errors, events, middleware

    app.use(middleware.count_requests(services))
    errors.install(app, services.telemetry)
    commands.register(app, services)
    events.register(app, services)
