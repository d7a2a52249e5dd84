"""Slack transport: the only package that knows Slack payloads. One folder per domain
(incidents, findings, containment, investigation, playbooks, postmortems, communications),
each holding its typed commands, listeners (the ack side: `register(app, …)`) and work (the
worker side: `register_work(routes)`); the shared pieces (app, middleware, errors, ids,
chat, the job's intake, reply and dispatch in jobs/) sit at this level."""

from __future__ import annotations

from core.services import Services


def _domains() -> tuple:
    from handlers import communications, containment, findings, incidents, investigation, playbooks, postmortems

    return incidents, findings, containment, investigation, playbooks, postmortems, communications


def register(app, services: Services, intake) -> None:
    """Attach every listener, the request middleware and the error handler to `app`. Each
    listener parses its request into a typed command and commits it through `intake`
    (handlers.jobs.intake.Intake) before its ack."""
    from handlers import errors, middleware
    from handlers.team_check import only_configured_team

    app.use(only_configured_team(services))  # first: another workspace's request reaches nothing
    app.use(middleware.count_requests(services))
    errors.install(app, services.telemetry)
    for domain in _domains():
        domain.register(app, services, intake)


def job_routes():
    """The worker's table: every typed command's route → its handler. Builds no Bolt app."""
    from handlers.jobs import refused
    from handlers.jobs.routes import Routes

    routes = Routes()
    refused.register(routes)
    for domain in _domains():
        domain.register_work(routes)
    return routes
