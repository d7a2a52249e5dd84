"""Logging set-up with secret redaction, and plain explanations of start-up failures.

Tokens must never reach a log line, even through a library's debug output, so the
redaction is a filter on the handler rather than a rule callers must remember."""

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


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
