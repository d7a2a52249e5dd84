"""What every Slack request passes through, and the guard around the work after the ack.

The ack stays free of work: it parses, and (handlers/jobs.py) commits the work as a durable
job keyed by the Slack act, so a retry or a replica's duplicate enqueues nothing new. The
guard here runs that work in a worker and decides how the job ends: a domain error is
answered to the user and the job is done; a failure worth retrying (Slack unavailable, a
connection dropped, AWS throttling) is retried silently until the last attempt, which
answers the user; anything unexpected is answered with an error id and kept as a dead letter."""

from __future__ import annotations

import inspect
from typing import Callable, Iterator

from slack_sdk.errors import SlackApiError

from core.errors import FirebreakError
from core.jobs import JobFailed, RetryLater
from core.services import Services
from handlers.blocks import error_message
from handlers.errors import describe

PARSED = "firebreak_parsed"  # what the ack parsed, handed to the work after it (stored with the job)
FINAL_ATTEMPT = "firebreak_final_attempt"  # False while a failure worth retrying may still be retried
SLACK_UNAVAILABLE = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
AWS_THROTTLING = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                  "TooManyRequestsException", "RequestThrottled", "SlowDown", "ServiceUnavailable",
                  "RequestThrottledException", "InternalError", "InternalFailure"}


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


def refuse(ack, message: str, usage: str = "") -> None:
    """Ack a request whose input did not parse: the one answer it gets, said only to its sender."""
    text, shown = error_message(message, usage)
    ack(text=text, blocks=shown, response_type="ephemeral")


def accept(ack, context, parsed) -> None:
    """Ack a request whose input parsed, handing what it parsed to the work after the ack.

    The one convention for input: the ack parses once and answers a usage error itself;
    a listener that takes `parsed` then runs only when the ack accepted the input."""
    context[PARSED] = parsed
    ack()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def worth_retrying(exc: BaseException) -> bool:
    """Slack unavailable (5xx, its own transient codes), a dropped connection, AWS throttling:
    the same request may well succeed later. Anything Slack or AWS refused on its merits is not."""
    for link in _chain(exc):
        if isinstance(link, SlackApiError):
            status = getattr(link.response, "status_code", 200) or 200
            code = link.response.get("error") if link.response is not None else None
            if status >= 500 or code in SLACK_UNAVAILABLE:
                return True
        elif isinstance(link, (ConnectionError, TimeoutError)) or type(link).__name__ == "URLError":
            return True
        response = getattr(link, "response", None)  # botocore's ClientError shape (no botocore here)
        if isinstance(response, dict) and (response.get("Error") or {}).get("Code") in AWS_THROTTLING:
            return True
    return False


def once(services: Services) -> Callable[[Callable], Callable]:
    """Wrap the work behind an ack (run by a job worker, handlers/jobs.py): it runs once per
    user act (the job's key), and any error reaches the user through the one error path."""

    def wrap(func: Callable) -> Callable:
        wanted = inspect.getfullargspec(func).args

        def guarded(body, respond, say, logger, client, context, command, action, view, event):
            available = {"body": body, "respond": respond, "say": say, "logger": logger, "client": client,
                         "context": context, "command": command, "action": action, "view": view, "event": event,
                         "parsed": context.get(PARSED)}
            if "parsed" in wanted and available["parsed"] is None:
                return None  # the ack refused the input and said why; nothing to do
            try:
                return func(**{name: available[name] for name in wanted})
            except Exception as exc:  # noqa: BLE001 - this *is* the one error path
                retry = worth_retrying(exc)
                if retry and not context.get(FINAL_ATTEMPT, True):
                    raise RetryLater(str(exc) or type(exc).__name__) from exc
                text, shown = describe(exc, services.telemetry)
                user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else None
                if body.get("response_url") or body.get("command"):
                    respond(text=text, blocks=shown, response_type="ephemeral", replace_original=False)
                elif user:  # a modal has no response_url: tell the person in their DM with the app
                    client.chat_postMessage(channel=user, text=text, blocks=shown)
                if retry:
                    raise RetryLater(f"gave up: {exc}") from exc
                if not isinstance(exc, (FirebreakError, SlackApiError)):
                    raise JobFailed(f"{type(exc).__name__}: {exc}") from exc
                return None

        guarded.__name__ = getattr(func, "__name__", "guarded")
        guarded.__doc__ = func.__doc__
        guarded.wants = tuple(wanted)
        return guarded

    return wrap
