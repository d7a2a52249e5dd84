"""How core names a person or a user group inside a message it writes.

Core never writes chat markup: it writes a neutral token, `{@U123}` (a person) or
`{@S123}` (a user group), and lists the ids it wrote on purpose. The chat adapter turns
exactly those into mentions and leaves everything else inert; text output (exports, the
CLI) shows them as @U123."""

from __future__ import annotations

import re
from typing import Callable, Iterable

TOKEN = re.compile(r"\{@([A-Z0-9]{2,40})\}")
LEGACY = re.compile(r"<@([A-Z0-9]{2,40})(?:\|[^>]*)?>")  # timeline entries written before the tokens


def person(user_or_group: str) -> str:
    return "{@" + user_or_group + "}"


def people(ids: Iterable[str]) -> str:
    return ", ".join(person(i) for i in ids)


def as_text(text: str, names: Callable[[str], str] | None = None) -> str:
    """The message for plain-text output: tokens become @name (or @id when no name is known)."""
    def shown(match: re.Match) -> str:
        return "@" + ((names(match.group(1)) if names else None) or match.group(1))

    return LEGACY.sub(shown, TOKEN.sub(shown, text))
