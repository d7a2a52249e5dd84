"""Slack transport: the only package that knows Slack payloads. One folder per domain
(incidents, findings, containment, playbooks, postmortems, scheduling), each holding its
commands, actions, views and Block Kit; the shared pieces (app, middleware, errors, ids,
chat, http) sit at this level."""

from __future__ import annotations

from core.services import Services


def register(app, services: Services):
    """Attach every listener, the request middleware and the error handler to `app`; the
    route table of its durable work (handlers.jobs.Jobs), which workers run from."""
    from handlers import (communications, containment, errors, findings, incidents, investigation, middleware,
                          playbooks, postmortems)
    from handlers.jobs import Jobs

    from handlers.team_check import only_configured_team
    app.use(only_configured_team(services))  # first: another workspace's request reaches nothing
    app.use(middleware.count_requests(services))
    errors.install(app, services.telemetry)
    jobs = Jobs(app, services)
    for domain in (incidents, findings, containment, investigation, playbooks, postmortems, communications):
        domain.register(jobs, services)
    return jobs
