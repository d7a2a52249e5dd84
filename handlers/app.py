"""Builds the Bolt app around a Web API client the composition root made (an app factory:
no import-time globals, nothing assigned into Services)."""

from __future__ import annotations

import logging
import secrets

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

import handlers
from core.services import Services
from handlers.identity import BotIdentity
from handlers.jobs.intake import Intake

SLACK_API_URL = "https://slack.com/api/"


def build_client(token: str, api_url: str | None = None) -> WebClient:
    """A Web API client that waits out 429s (Retry-After) and transient connection errors."""
    base = (api_url or SLACK_API_URL).rstrip("/") + "/"
    client = WebClient(token=token, base_url=base, timeout=10)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=3),
                                  ConnectionErrorRetryHandler(max_retry_count=2)])
    return client


def startup_client(token: str, api_url: str | None = None) -> WebClient:
    """A client for the start-up check alone: no retry handlers and a silent logger, because
    the start-up policy (core.startup) retries and logs each attempt once itself."""
    quiet = logging.Logger("firebreak.startup.slack")  # not in the logging tree: no handler, no lastResort
    quiet.disabled = True
    return WebClient(token=token, base_url=(api_url or SLACK_API_URL).rstrip("/") + "/", timeout=10, logger=quiet)


def build_app(services: Services, client: WebClient, identity: BotIdentity) -> App:
    """The Bolt app of the web side: its listeners parse each request once into a typed
    command and commit it as a job before the ack (handlers/jobs/intake.py); workers run
    the jobs without it (handlers/jobs/dispatch.py). Bolt learns the bot's identity from
    `identity`, not from its own auth.test when it is built (handlers.identity)."""
    app = App(
        name="firebreak",  # unnamed, Bolt walks the whole call stack's source files for one (60 ms)
        # The ack runs to completion, including the commit of the job it enqueues, before
        # the HTTP response is sent; the work runs in job workers.
        process_before_response=True,
        listener_executor=services.executor,
        client=client,
        # Serving needs the real secret (serve refuses to start without it; SlackEndpoint checks
        # it before Bolt): without one, an unguessable one stands in.
        signing_secret=services.settings.secrets.slack_signing_secret or secrets.token_hex(32),
        authorize=lambda enterprise_id, team_id, user_id: identity.authorize(enterprise_id, team_id, user_id),
        before_authorize=lambda body, next: identity.hold_events(body, next),  # noqa: A002 - Bolt's name
        logger=logging.getLogger("firebreak.bolt"),
    )
    handlers.register(app, services, Intake(services.repos.jobs, services.telemetry))
    return app
