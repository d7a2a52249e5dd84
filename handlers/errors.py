"""The one error path: typed domain errors become a friendly ephemeral message; anything
unexpected is logged with a short id that the user sees too, so a report can be traced."""

from __future__ import annotations

import logging
import secrets
from contextlib import contextmanager
from typing import Iterator

from slack_sdk.errors import SlackApiError

from core.errors import FirebreakError, UsageError
from core.incidents.ports import ChatError
from handlers import blocks

log = logging.getLogger("firebreak.errors")


# What Slack's error codes mean for the person who ran the command.
SLACK_ERRORS = {
    "channel_not_found": "the channel does not exist or Firebreak cannot see it",
    "not_in_channel": "Firebreak is not a member of that channel (invite it first)",
    "is_archived": "the channel is archived",
    "missing_scope": "Firebreak's Slack app lacks a permission for this (reinstall it from manifest.yml)",
    "ratelimited": "Slack is rate-limiting Firebreak; try again in a minute",
    "invalid_auth": "Firebreak's Slack token is not valid",
    "not_authed": "Firebreak's Slack token is missing",
    "token_revoked": "Firebreak's Slack token was revoked",
    "message_not_found": "the message no longer exists",
    "restricted_action": "a workspace setting does not allow this",
}


def chat_error(method: str, exc: SlackApiError) -> ChatError:
    """The one mapping from a Slack refusal to what people see (method and Slack's code kept)."""
    code = exc.response.get("error", "unknown error") if exc.response is not None else "unknown error"
    meaning = SLACK_ERRORS.get(code)
    return ChatError(f"Slack refused {method} ({code})" + (f": {meaning}." if meaning else "."))


@contextmanager
def slack_call(method: str) -> Iterator[None]:
    """Run Web API calls; a refusal becomes a ChatError naming the method and the reason."""
    try:
        yield
    except SlackApiError as exc:
        raise chat_error(method, exc) from None


def describe(exc: BaseException, telemetry=None) -> tuple[str, list[dict]]:
    """Text and blocks to show the user for `exc`."""
    if isinstance(exc, SlackApiError):  # a listener's own Web API call (cards, forms)
        method = str(getattr(exc.response, "api_url", "") or "the Web API").rsplit("/", 1)[-1]
        exc = chat_error(method, exc)
    if isinstance(exc, FirebreakError):
        if telemetry:
            telemetry.errors.labels(kind=type(exc).__name__).inc()
        return blocks.error_message(exc.message, exc.usage if isinstance(exc, UsageError) else "",
                                    mentions=exc.mentions)
    error_id = secrets.token_hex(4)
    if telemetry:
        telemetry.errors.labels(kind="unexpected").inc()
    log.error("unexpected error %s", error_id, exc_info=exc)
    return blocks.error_message("Something went wrong on Firebreak's side; nothing was changed by the "
                                "failed step. Tell your Firebreak administrator this error id.",
                                error_id=error_id)


def install(app, telemetry) -> None:
    """Bolt's global error handler, for errors raised before or during ack()."""

    @app.error
    def on_error(error, body, respond, logger):  # noqa: ARG001 - Bolt injects by name
        text, shown = describe(error, telemetry)
        if respond is not None and body.get("response_url"):
            respond(text=text, blocks=shown, response_type="ephemeral", replace_original=False)
