"""Logging set-up with secret redaction, control-character escaping, and plain explanations
of start-up failures.

Tokens must never reach a log line, even through a library's debug output, and a value from
outside (a TopicArn, a channel name, an exception's text) must never forge a log line of its
own, so both are done by the formatter rather than by rules callers must remember."""

from __future__ import annotations

import logging
import os
import re

# Slack tokens (xoxb-, xoxp-, xapp-, ...), AWS secret-looking assignments, URL passwords.
_PATTERNS = [
    (re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+"), r"\1-***"),
    (re.compile(r"(?i)(aws_secret_access_key|secretaccesskey|sessiontoken|signing_secret)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
     r"\1\2***"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, "***")
    return text


# C0 and C1 controls, DEL, Unicode line/paragraph separators and the bidirectional overrides
# that reorder what a reader sees ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape_one(match: re.Match) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_controls(text: str) -> str:
    """One log record is one line: every control character in a message is written as an escape."""
    return _CONTROL.sub(_escape_one, text)


def _continuation(text: str) -> str:
    """A traceback keeps its lines, each indented so none can pass for a record of its own."""
    return "\n".join("  " + line for line in _CONTROL_BUT_NEWLINE.sub(_escape_one, text).split("\n"))


class RedactingFormatter(logging.Formatter):
    """Redacts secrets and escapes control characters in every record, whoever logged it."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return _continuation(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return _continuation(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def stream_handler(stream=None) -> logging.Handler:
    """The handler every process logs through (stderr unless a stream is given)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(LINE_FORMAT))
    return handler


def configure(level: str = "INFO") -> None:
    handler = stream_handler()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # Bolt reads SLACK_BOT_TOKEN itself and warns that our explicit client wins; it does. It
    # also warns that its token is unused with `authorize`: ours hands it the same token.
    logging.getLogger("firebreak.bolt").addFilter(
        lambda record: not record.getMessage().startswith(("As you gave `client`", "As `installation_store` or")))


def explain_startup_error(exc: BaseException) -> str:
    """One sentence an operator can act on; the trace goes to the debug log only."""
    logging.getLogger("firebreak").debug("start-up failure", exc_info=exc)
    name = type(exc).__name__
    text = redact(str(exc)).strip().splitlines()[0] if str(exc).strip() else name
    if name == "OperationalError":
        return f"cannot use the database (check DATABASE_URL): {text}"
    if name == "BoltError" or "auth.test" in text or "invalid_auth" in text:
        return f"Slack did not accept the bot token (check SLACK_BOT_TOKEN / SLACK_API_URL): {text}"
    if name in ("URLError", "ConnectionRefusedError", "ConnectionError", "TimeoutError"):
        return f"cannot reach Slack's Web API (check network and SLACK_API_URL): {text}"
    if isinstance(exc, OSError) and exc.errno in (98, 48):
        return f"the port is already in use ({text}); pick another with --port or PORT"
    return f"{name}: {text} (run with FIREBREAK_LOG_LEVEL=DEBUG for details)"
