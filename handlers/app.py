"""Builds the Bolt app from explicit settings (an app factory: no import-time globals)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

import handlers
from core.services import Services
from handlers.chat import SlackChat
from handlers.directory import SlackDirectory

SLACK_API_URL = "https://slack.com/api/"


def build_client(token: str, api_url: str | None = None) -> WebClient:
    """A Web API client that waits out 429s (Retry-After) and transient connection errors."""
    base = (api_url or SLACK_API_URL).rstrip("/") + "/"
    client = WebClient(token=token, base_url=base, timeout=10)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=3),
                                  ConnectionErrorRetryHandler(max_retry_count=2)])
    return client


def build_app(services: Services, *, verify_token: bool = True) -> App:
    secrets = services.settings.secrets
    client = build_client(secrets.slack_bot_token or "", secrets.slack_api_url)
    services.directory = services.directory or SlackDirectory(client)
    # Our own pool for work after the ack, so shutdown can drain it (see Services.drain).
    services.executor = services.executor or ThreadPoolExecutor(
        max_workers=services.config.server.threads, thread_name_prefix="firebreak-work")
    app = App(
        listener_executor=services.executor,
        client=client,
        signing_secret=secrets.slack_signing_secret,
        token_verification_enabled=verify_token,
        logger=logging.getLogger("firebreak.bolt"),
    )
    services.chat = services.chat or SlackChat(client, services.config, services.directory)
    handlers.register(app, services)
    return app
