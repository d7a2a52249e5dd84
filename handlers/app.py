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

SLACK_API_URL = "https://slack.com/api/"


def build_client(token: str, api_url: str | None = None) -> WebClient:
    """A Web API client that waits out 429s (Retry-After) and transient connection errors."""
    base = (api_url or SLACK_API_URL).rstrip("/") + "/"
    client = WebClient(token=token, base_url=base, timeout=10)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=3),
                                  ConnectionErrorRetryHandler(max_retry_count=2)])
    return client


def build_app(services: Services, client: WebClient, *, verify_token: bool = True):
    """The Bolt app, and the route table of its durable work (handlers.jobs.Jobs): the app
    acks and enqueues, workers run the jobs through the same table."""
    app = App(
        # The ack runs to completion, including the commit of the job it enqueues, before
        # the HTTP response is sent (handlers/jobs.py); the work runs in job workers.
        process_before_response=True,
        listener_executor=services.executor,
        client=client,
        # A worker never receives requests and may run without the secret: an unguessable one
        # stands in (serve refuses to start without the real one).
        signing_secret=services.settings.secrets.slack_signing_secret or secrets.token_hex(32),
        token_verification_enabled=verify_token,
        logger=logging.getLogger("firebreak.bolt"),
    )
    jobs = handlers.register(app, services)
    return app, jobs
