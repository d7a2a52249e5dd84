"""What every Slack request passes through, and the guard around listeners that change things.

The guard runs *after* the ack: acks stay free of database writes (a retried ack just
repeats a harmless answer), while the work behind it runs once per user act even when
Slack retries or a replica receives the retry."""

from __future__ import annotations

import inspect
import random
from datetime import datetime
from typing import Callable

from core.services import Services
from handlers.errors import describe

PRUNE_ONE_IN = 500  # housekeeping of old request keys rides along with some writes
PARSED = "firebreak_parsed"  # what the ack parsed, handed to the work after it (Bolt copies context)


def request_key(body: dict) -> str | None:
    """A natural id of the user's act, the same on every retry or replay of it."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    if body.get("type") in ("block_actions", "view_submission", "shortcut", "message_action") \
            and body.get("trigger_id"):
        return f"{body['type']}:{body['trigger_id']}"
    return None


def request_kind(body: dict) -> str:
    if body.get("command"):
        return "command"
    return str(body.get("type") or "unknown")


def count_requests(services: Services):
    """Global middleware: per-kind request counters for /metrics."""

    def middleware(body: dict, next):  # noqa: A002 - Bolt injects `next` by name
        services.telemetry.slack_requests.labels(kind=request_kind(body)).inc()
        return next()

    return middleware


def ack_only(ack) -> None:
    """The ack of a button whose work runs after it (in a lazy listener guarded by once())."""
    ack()


def accept(ack, context, parsed) -> None:
    """Ack a request whose input parsed, handing what it parsed to the work after the ack.

    The one convention for input: the ack parses once and answers a usage error itself;
    a listener that takes `parsed` then runs only when the ack accepted the input."""
    context[PARSED] = parsed
    ack()


def first_delivery(services: Services, body: dict) -> bool:
    """Record this request's key; False if this act was already handled (retry, replay)."""
    key = request_key(body)
    if key is None:
        return True
    now: datetime = services.clock.now()
    ledger = services.repos.requests
    if random.randrange(PRUNE_ONE_IN) == 0:
        ledger.forget_before(now - ledger.retention())
    if ledger.first_time(key, now):
        return True
    services.telemetry.duplicate_requests.inc()
    return False


def once(services: Services) -> Callable[[Callable], Callable]:
    """Wrap a listener that changes state: it runs once per user act, and any error
    reaches the user through the one error path (Bolt only logs errors of lazy listeners)."""

    def wrap(func: Callable) -> Callable:
        wanted = inspect.getfullargspec(func).args

        def guarded(body, respond, say, logger, client, context, command, action, view, event):
            available = {"body": body, "respond": respond, "say": say, "logger": logger, "client": client,
                         "context": context, "command": command, "action": action, "view": view, "event": event,
                         "parsed": context.get(PARSED)}
            if "parsed" in wanted and available["parsed"] is None:
                return None  # the ack refused the input and said why; nothing to do
            if not first_delivery(services, body):
                logger.info("ignored a repeated Slack request %s", request_key(body))
                return None
            try:
                return func(**{name: available[name] for name in wanted})
            except Exception as exc:  # noqa: BLE001 - this *is* the one error path
                text, shown = describe(exc, services.telemetry)
                user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else None
                if body.get("response_url") or body.get("command"):
                    respond(text=text, blocks=shown, response_type="ephemeral", replace_original=False)
                elif user:  # a modal has no response_url: tell the person in their DM with the app
                    client.chat_postMessage(channel=user, text=text, blocks=shown)
                return None

        guarded.__name__ = getattr(func, "__name__", "guarded")
        guarded.__doc__ = func.__doc__
        return guarded

    return wrap
