"""The drill scenario schema. Files are data only (drills/*.yaml); this is what they may say.

A scenario names its findings as real-format documents (GuardDuty, Security Hub ASFF,
CloudTrail) whose targets are placeholders filled from the sandbox's inventory
(`{instance:web-1}`, `{access_key:ci-deploy}`, `{bucket:acme-marketing-site}`, `{account}`,
`{region}`), plus `{run}` (unique per run, so finding ids never collide) and `{at}` (when the
finding arrives, ISO 8601); when each arrives; the response expected; the SLA it is scored on."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator

from core.playbooks.model import CONTAIN_ACTIONS
from core.validators import Strict

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([A-Za-z0-9_.\-]+))?\}")
# Inventory kinds a placeholder may name (aws/sandbox.py fills them), and the fixed ones.
KINDS = ("instance", "private_ip", "subnet", "vpc", "security_group", "network_acl", "user", "access_key", "role",
         "instance_profile", "bucket", "evidence_bucket", "function", "waf_ip_set", "sns_topic", "target_group",
         "auto_scaling_group")
FIXED = ("account", "region", "run", "at")
_OFFSET = re.compile(r"(\d+)\s*([smh])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}


def parse_offset(text: str) -> timedelta:
    """`0`, `90s`, `5m`, `1h30m`."""
    text = str(text).strip().lower()
    if text == "0":
        return timedelta(0)
    parts = _OFFSET.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError(f"{text!r} is not an offset like 0, 90s, 5m or 1h30m")
    return sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta(0))


class DrillFinding(Strict):
    at: str = "0"  # offset from the start of the drill
    document: dict[str, Any]  # a GuardDuty finding, an ASFF finding or a CloudTrail event

    @field_validator("at")
    @classmethod
    def _offset(cls, value: str) -> str:
        parse_offset(value)
        return value

    @property
    def offset(self) -> timedelta:
        return parse_offset(self.at)


class ExpectedAction(Strict):
    action: str
    target: str = Field(min_length=1)

    @field_validator("action")
    @classmethod
    def _known(cls, action: str) -> str:
        if action not in CONTAIN_ACTIONS:
            raise ValueError(f"unknown containment action {action!r}; one of {', '.join(CONTAIN_ACTIONS)}")
        return action


class Expected(Strict):
    playbook: str | None = None
    playbook_steps: int = Field(default=0, ge=0)  # at least this many checklist steps ticked
    containment: list[ExpectedAction] = Field(default_factory=list)


class Sla(Strict):
    acknowledge_minutes: int = Field(default=15, ge=1)
    first_containment_minutes: int = Field(default=30, ge=1)
    contained_minutes: int = Field(default=60, ge=1)  # containment verified


class Scenario(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    description: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=120)
    severity: str = "sev2"
    category: str | None = None
    findings: list[DrillFinding] = Field(min_length=1)
    expected: Expected = Field(default_factory=Expected)
    sla: Sla = Field(default_factory=Sla)
    # A drill pages nobody and tells no audience; naming one of communications.audiences here
    # sends it, and only it, what the plan, a page or an SLA escalation would send (with [DRILL]).
    test_audience: str | None = None

    @property
    def duration(self) -> timedelta:
        return max(f.offset for f in self.findings)
