"""A slash command as one declarative table: its subcommands in order, each with its usage,
its description and the parser of its arguments into a typed command.

The table is the whole front of the command: `parse` (the subcommand word, then the
entry's own parser, which raises core's UsageError with the entry's usage), `help` (the
entries in order, plus notes) and the answer to a word that is no subcommand (the help
with the problem on top, or the table's fallback parser's error), with the nearest
subcommand suggested when one is close. The ack runs it once; the worker never does."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from core.errors import UsageError
from handlers import blocks
from handlers.jobs.command import Command


@dataclass(frozen=True)
class Asked:
    """A slash command as the ack received it: who asks, where, and the configuration the
    parsers check words against (severities, categories)."""

    user: str
    team: str | None
    channel: str | None
    trigger_id: str | None
    config: Any = None

    @property
    def acting(self) -> dict[str, str | None]:
        return {"user": self.user, "team": self.team}

    @classmethod
    def of(cls, command: dict, config: Any = None) -> "Asked":
        """From Bolt's `command` payload (signed by Slack, checked before Bolt saw it)."""
        return cls(command.get("user_id") or "", command.get("team_id"), command.get("channel_id"),
                   command.get("trigger_id"), config)


@dataclass(frozen=True)
class Words:
    """A subcommand's input: the whole text, the words after the subcommand, and the text
    after the subcommand as typed (free text keeps its spacing)."""

    asked: Asked
    text: str
    args: tuple[str, ...]
    rest: str


Parser = Callable[["Sub", Words], Command]


@dataclass(frozen=True)
class Sub:
    name: str
    usage: str
    description: str
    parse: Parser | None = None  # None: the table's help


@dataclass(frozen=True)
class Help:
    """Show the table's help (with `problem` on top)."""

    problem: str | None = None


@dataclass(frozen=True)
class SlashTable:
    title: str
    subs: Sequence[Sub]
    notes: Sequence[tuple[str, str]] = ()  # help lines that are no subcommand (options for all)
    # A first word that is no subcommand: None shows the help with the problem; else this
    # parser answers it (its UsageError is the answer, with the nearest subcommand suggested).
    fallback: Callable[[Words], Command] | None = None
    noun: str = "subcommand"
    _by_name: dict[str, Sub] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        by_name: dict[str, Sub] = {}
        for sub in self.subs:
            if sub.name in by_name:
                raise ValueError(f"{self.title}: two entries for {sub.name}")
            by_name[sub.name] = sub
        object.__setattr__(self, "_by_name", by_name)

    def __getitem__(self, name: str) -> Sub:
        return self._by_name[name]

    def lines(self) -> list[tuple[str, str]]:
        return [(sub.usage, sub.description) for sub in self.subs] + list(self.notes)

    def help(self, problem: str | None = None) -> tuple[str, list[dict]]:
        return blocks.usage(self.title, self.lines(), problem)

    def suggestion(self, word: str) -> str:
        """` Did you mean `declare`?` for a near miss; empty when nothing is close."""
        close = difflib.get_close_matches(word.lower(), [s.name for s in self.subs if s.parse], n=1, cutoff=0.75)
        return f" Did you mean `{close[0]}`?" if close else ""

    def parse(self, text: str, asked: Asked) -> Command | Help:
        """The typed command `text` asks for, or Help; UsageError says what is wrong."""
        stripped = (text or "").strip()
        words = stripped.split()
        if not words:
            return Help()
        given = Words(asked, stripped, tuple(words[1:]), stripped[len(words[0]):].strip())
        sub = self._by_name.get(words[0].lower())
        if sub is None and words[0].lower() == "help":  # every command has help, listed or not
            return Help()
        if sub is None:
            return self._unknown(words[0], given)
        if sub.parse is None:
            return Help()
        return sub.parse(sub, given)

    def _unknown(self, word: str, given: Words) -> Command | Help:
        if self.fallback is None:
            return Help(problem=f"Unknown {self.noun} “{word[:40]}”.{self.suggestion(word)}")
        try:
            return self.fallback(given)
        except UsageError as exc:
            hint = self.suggestion(word)
            if not hint:
                raise
            raise UsageError(exc.message + hint, exc.usage, mentions=exc.mentions) from None
