"""Which incident an `/incident` subcommand acts on: the one named first (`42`, `#42`),
else the channel's own.

Before free text (`note`, `update`, `cancel`, `action`, `aws-support`, `aws-ir`) a bare
number is ambiguous: outside an incident channel it names the incident, inside one it is
the text's first word (`/incident note 3 hosts are down`). Telling them apart needs the
database, which the ack does not touch: the ack parses both readings and the work picks
one (`locate`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel, ConfigDict

from core.errors import UsageError
from core.incidents import service as incidents
from core.incidents.model import Incident
from core.services import Services
from handlers.jobs.command import Command
from handlers.slash import Sub, Words

REF = re.compile(r"^#?\d{1,9}$")


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str | None = None
    ref: str | None = None  # the incident named first, as typed
    ref_may_be_text: bool = False  # a bare number before free text: text inside an incident channel


@dataclass(frozen=True)
class Aimed:
    """A subcommand's words with the incident split off."""

    target: Target
    args: tuple[str, ...]
    rest: str  # the text after the incident's number (all of it when none was named)


def aim(sub: Sub, words: Words, *, free_text: bool = False, only: bool = False, min_args: int = 0) -> Aimed:
    """Split a leading incident number off `words`. `only`: nothing may follow it;
    `min_args`: how many words the subcommand needs besides an incident named with `#` (a
    bare number may be text, so it counts; what a subcommand needs after the incident it
    checks itself, with its own message)."""
    args, rest, channel = words.args, words.rest, words.asked.channel
    given = len(args) - (1 if args and args[0].startswith("#") and REF.match(args[0]) else 0)
    if given < min_args:
        raise UsageError(f"`{sub.usage}` needs more: {sub.description}.", sub.usage)
    target = Target(channel=channel)
    if args and REF.match(args[0]):
        ref = args[0]
        target = Target(channel=channel, ref=ref, ref_may_be_text=free_text and not ref.startswith("#"))
        args, rest = args[1:], rest[len(ref):].strip()
    if only and args:
        raise UsageError(f"“{args[0][:40]}” is not an incident number; use e.g. 42 or #42.", sub.usage)
    return Aimed(target, args, rest)


def locate(services: Services, actor: str, target: Target) -> tuple[Incident, bool]:
    """The incident, and whether the bare number before the text was the text's own (the
    command runs in an incident channel, which it then acts on)."""
    if target.ref_may_be_text and target.channel and services.incidents.by_channel(target.channel) is not None:
        return incidents.find(services, actor=actor, channel=target.channel, ref=None), True
    return incidents.find(services, actor=actor, channel=target.channel, ref=target.ref), False


def about(model: type) -> Callable[[Sub, Words], Command]:
    """The parser of a subcommand whose only argument is the incident (`status [id]`)."""

    def parse(sub: Sub, words: Words) -> Command:
        return model(**words.asked.acting, target=aim(sub, words, only=True).target)

    parse.__name__ = f"parse_{model.__name__}"
    return parse
