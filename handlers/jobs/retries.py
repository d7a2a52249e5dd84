"""Which failures of a job's work are worth trying again later."""

from __future__ import annotations

from typing import Iterator

from slack_sdk.errors import SlackApiError

SLACK_UNAVAILABLE = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
AWS_THROTTLING = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                  "TooManyRequestsException", "RequestThrottled", "SlowDown", "ServiceUnavailable",
                  "RequestThrottledException", "InternalError", "InternalFailure"}


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
