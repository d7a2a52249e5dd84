"""Slack at start-up: ask `auth.test` who the bot is, and tell a transient failure (Slack
is having trouble: retry) from a refusal of the token (stop, naming Slack's error).

Slack answers a bad token with HTTP 200 and `ok:false`; only these errors mean the token
itself will never work. Everything else Slack can say (5xx, 429, `internal_error`,
`fatal_error`, `service_unavailable`, `request_timeout`, ...) and every timeout or
connection error is worth waiting out."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.startup import Failure

REFUSALS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})


def ask_identity(client: WebClient) -> dict[str, Any]:
    """auth.test's answer: the bot's user id, bot id and team, plus its scopes."""
    response = client.auth_test()
    return {**response.data, "scopes": (response.headers or {}).get("x-oauth-scopes")}


def slack_failure(exc: Exception) -> Failure | None:
    """What a failed Web API call at start-up means; None for anything that is not Slack's."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or "")
        if error in REFUSALS:
            return Failure(error, definitive=True)
        if status == 429:
            return Failure("HTTP 429 rate limited", retry_after=_retry_after(exc.response.headers or {}))
        if status >= 300:
            return Failure(f"HTTP {status}" + (f" {error}" if error and " " not in error else ""))
        return Failure(f"ok:false {error or 'without an error'}")
    if isinstance(exc, TimeoutError):
        return Failure("timed out")
    if isinstance(exc, URLError):
        reason = exc.reason
        return Failure("timed out" if isinstance(reason, TimeoutError) else f"cannot connect: {reason}")
    if isinstance(exc, (ConnectionError, http.client.HTTPException, OSError)):
        return Failure(f"connection failed: {type(exc).__name__}: {exc}")
    return None


def refused_message(failure: Failure) -> str:
    return (f"Slack did not accept the bot token (check SLACK_BOT_TOKEN / SLACK_API_URL): auth.test answered "
            f"`{failure.reason}`")


def _retry_after(headers: dict) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return None
