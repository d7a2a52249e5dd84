"""How core names a person or a user group inside a message it writes.

Core never writes chat markup: it writes a neutral token, `{@U123}` (a person) or
`{@S123}` (a user group), and lists the ids it wrote on purpose. The chat adapter turns
exactly those into mentions and leaves everything else inert; text output (exports, the
CLI) shows them as @U123."""

from __future__ import annotations

import re
from typing import Iterable

TOKEN = re.compile(r"\{@([A-Z0-9]{2,40})\}")


def person(user_or_group: str) -> str:
    return "{@" + user_or_group + "}"


def people(ids: Iterable[str]) -> str:
    return ", ".join(person(i) for i in ids)


def as_text(text: str) -> str:
    """The message for plain-text output: tokens become @id."""
    return TOKEN.sub(r"@\1", text)
