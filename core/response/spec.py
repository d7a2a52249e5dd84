"""What one response action is, independent of AWS: its family (the slash command that
offers it), how its target is written and checked, its options, the preconditions core
checks before planning it, and whether AWS lets it be undone."""

from __future__ import annotations

import re
from dataclasses import dataclass

OPTIONS_FOR_ALL = ("region", "account", "incident", "dry-run")
INSTANCE = r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?"


@dataclass(frozen=True)
class Family:
    """A slash command of the one response engine. `timeline` is the timeline entry kind, so
    response metrics can tell a containment from an evidence collection."""

    command: str  # without the slash
    label: str  # "Containment", shown on cards and the timeline
    prefix: str  # request numbers: C12, E13, R14 (one sequence, so a number is never ambiguous)
    timeline: str


FAMILIES: dict[str, Family] = {f.command: f for f in (
    Family("contain", "Containment", "C", "containment"),
    Family("evidence", "Evidence", "E", "evidence"),
    Family("remediate", "Remediation", "R", "remediation"),
)}


@dataclass(frozen=True)
class ActionSpec:
    name: str
    target: str  # how the target is written in usage, e.g. "i-…"
    pattern: str  # what a valid target looks like (checked before any AWS call)
    summary: str
    flags: tuple[str, ...] = ()  # extra options without a value
    values: tuple[str, ...] = ()  # extra options with a value
    undoable: bool = True
    family: str = "contain"
    # Names from core.containment.preconditions, checked (and shown in the plan) before any AWS call.
    requires: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        extra = " ".join([f"[--{f}]" for f in self.flags] + [f"[--{v} …]" for v in self.values])
        return f"/{self.family} {self.name} {self.target}" + (f" {extra}" if extra else "")

    def accepts(self, target: str) -> bool:
        return re.fullmatch(self.pattern, target) is not None


def family_of(spec: ActionSpec) -> Family:
    return FAMILIES[spec.family]
