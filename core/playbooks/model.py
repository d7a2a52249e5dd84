"""The playbook schema. Files are data only (playbooks/*.yaml); this is what they may say."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.response.catalog import SPECS
from core.validators import Strict

Phase = Literal["detection", "analysis", "containment", "eradication", "recovery", "post-incident"]
# Response actions a playbook may propose (containment, evidence, remediation); each still asks a
# second responder to approve, like the typed command.
CONTAIN_ACTIONS = tuple(SPECS)
PROPOSALS = {"contain": "contain", "evidence": "evidence", "remediate": "remediate"}  # step key -> family
# Values a contain step's target may name: filled from the incident's findings.
TARGET_FIELDS = ("instance_id", "access_key_id", "ip", "principal", "domain", "bucket", "function", "role", "user")


class ContainStep(Strict):
    action: str
    target: str = Field(min_length=1)
    options: dict[str, str] = Field(default_factory=dict)
    auto: bool = False  # still needs containment.auto_approve to allow it

    @field_validator("action")
    @classmethod
    def _known(cls, action: str) -> str:
        if action not in CONTAIN_ACTIONS:
            raise ValueError(f"unknown response action {action!r}; one of {', '.join(CONTAIN_ACTIONS)}")
        return action

    @field_validator("target")
    @classmethod
    def _placeholders(cls, target: str) -> str:
        unknown = [name for name in re.findall(r"{(\w+)}", target) if name not in TARGET_FIELDS]
        if unknown:
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}; use one of {', '.join(TARGET_FIELDS)}")
        return target


class InvestigateStep(Strict):
    """A read-only `/investigate` question; the value may name the incident's findings."""

    subject: Literal["principal", "ip", "key", "instance", "bucket"]
    value: str = Field(min_length=1)
    hours: int = Field(default=24, ge=1, le=24 * 366)
    source: Literal["cloudtrail", "athena", "lake"] | None = None  # None: investigation.default_source

    @field_validator("value")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        return ContainStep._placeholders(value)


class NotifyStep(Strict):
    text: str = Field(min_length=1, max_length=2000)
    channel: str | None = None  # default: the incident channel


class Step(Strict):
    """Exactly one of: a checklist item, a question, a response proposal (`contain:`,
    `evidence:` or `remediate:`, each naming an action of that slash command), a read-only
    question (`investigate:`), a notification."""

    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    check: str | None = Field(default=None, min_length=1, max_length=500)
    ask: str | None = Field(default=None, min_length=1, max_length=500)
    contain: ContainStep | None = None
    evidence: ContainStep | None = None
    remediate: ContainStep | None = None
    investigate: InvestigateStep | None = None
    notify: NotifyStep | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Step":
        keys = ("check", "ask", *PROPOSALS, "investigate", "notify")
        kinds = [k for k in keys if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a step is exactly one of {', '.join(keys)} (got {kinds or 'none'})")
        for key, family in PROPOSALS.items():
            step = getattr(self, key)
            if step is not None and SPECS[step.action].family != family:
                raise ValueError(f"{step.action} is a /{SPECS[step.action].family} action: write it under "
                                 f"`{SPECS[step.action].family}:`, not `{key}:`")
        return self

    @property
    def proposal(self) -> ContainStep | None:
        """The response action the step proposes, whichever slash command it belongs to."""
        return self.contain or self.evidence or self.remediate

    @property
    def kind(self) -> str:
        """`contain` for every response proposal: each is one request button."""
        if self.proposal is not None:
            return "contain"
        return next(k for k in ("check", "ask", "investigate", "notify") if getattr(self, k) is not None)


class Match(Strict):
    finding_types: list[str] = Field(default_factory=list)  # globs, e.g. "UnauthorizedAccess:IAMUser/*"
    categories: list[str] = Field(default_factory=list)
    severities: list[str] = Field(default_factory=list)  # empty: any


class Playbook(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,60}$")
    description: str = Field(min_length=1)
    match: Match
    phases: dict[Phase, list[Step]] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Playbook":
        seen = set()
        for phase, steps in self.phases.items():
            for key, _ in self.keyed(phase):
                if key in seen:
                    raise ValueError(f"step id {key!r} is used twice")
                seen.add(key)
        return self

    def keyed(self, phase: str) -> list[tuple[str, Step]]:
        """Steps of `phase` with stable keys (their id, else phase and position)."""
        return [(step.id or f"{phase}-{n}", step) for n, step in enumerate(self.phases.get(phase, []), 1)]

    @property
    def total_steps(self) -> int:
        return sum(len(steps) for steps in self.phases.values())
