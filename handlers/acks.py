"""The answers an ack itself gives: help, a usage error, a form's field errors. Each is the
one answer the request gets, and only its sender sees it."""

from __future__ import annotations

from typing import Callable

from core.errors import UsageError
from handlers.blocks import error_message


def show(ack: Callable, text: str, shown: list[dict]) -> None:
    """Help or a listing, said only to the sender."""
    ack(text=text, blocks=shown, response_type="ephemeral")


def refuse(ack: Callable, error: UsageError) -> None:
    """A request whose input did not parse: what is wrong, and how to write it."""
    text, shown = error_message(error.message, error.usage)
    ack(text=text, blocks=shown, response_type="ephemeral")


def form_errors(ack: Callable, errors: dict[str, str]) -> None:
    """A form whose fields did not pass: Slack shows each message under its field."""
    ack(response_action="errors", errors=errors)
