"""The response-action catalog as core sees it: each action's name, family (`/contain`,
`/evidence`, `/remediate`), target syntax, options, preconditions and whether AWS lets it be
undone, plus the protocol aws/actions implements.

Specs live here so parsing, help and config checks need no boto3; behaviour (describe,
apply, verify, undo) lives in aws/actions, one module per action. One engine runs every
family: request → plan → approval → exactly-once → verify → audit → timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from core.response.evidence_specs import EVIDENCE_SPECS
from core.response.remediation_specs import REMEDIATION_SPECS
from core.response.spec import (FAMILIES, INSTANCE, OPTIONS_FOR_ALL, ActionSpec, Family,
                                   family_of)

__all__ = ["FAMILIES", "INSTANCE", "OPTIONS_FOR_ALL", "ActionSpec", "Family", "family_of", "SPECS",
           "specs_of", "Job", "Plan", "Outcome", "Catalog", "AwsCallRecorder"]

CONTAIN_SPECS = (
    ActionSpec("isolate-instance", "i-…", INSTANCE,
               "isolation security group on every ENI (via an allow-all group so tracked connections drop), "
               "termination protection, tag, detach from its Auto Scaling group and target groups",
               flags=("snapshot",)),
    ActionSpec("snapshot-instance", "i-…", INSTANCE, "forensic EBS snapshots of every volume, tagged",
               undoable=False),
    ActionSpec("disable-access-key", "AKIA…", r"(?:AKIA|ASIA)[A-Z0-9]{12,124}", "find the key's user, deactivate it"),
    ActionSpec("quarantine-user", "<user name>", r"[\w+=,.@-]{1,64}",
               "attach the AWS managed policy AWSDenyAll to an IAM user (every action denied)"),
    ActionSpec("quarantine-role", "<role name>", r"[\w+=,.@-]{1,64}",
               "attach the AWS managed policy AWSDenyAll to an IAM role (every action denied; sessions already "
               "issued are cut while it is attached)"),
    ActionSpec("block-public-s3", "<bucket>", r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
               "turn on the bucket's public access block, remembering the prior setting"),
    ActionSpec("block-ip", "<ip or cidr>", r"[0-9.]{7,15}(?:/\d{1,2})?",
               "deny the address in network ACLs (subnets from --subnets, --vpc or the incident's instances) "
               "or in the configured WAF IP set", values=("subnets", "vpc")),
    ActionSpec("disable-lambda", "<function>", r"[\w:-]{1,140}", "reserved concurrency 0: the function stops running"),
    ActionSpec("revoke-instance-role", "i-…", INSTANCE, "disassociate the instance profile from the instance"),
)
SPECS: dict[str, ActionSpec] = {s.name: s for s in (*CONTAIN_SPECS, *EVIDENCE_SPECS, *REMEDIATION_SPECS)}


def specs_of(family: str) -> dict[str, ActionSpec]:
    """The actions one slash command offers, in catalog order."""
    return {name: spec for name, spec in SPECS.items() if spec.family == family}


@dataclass(frozen=True)
class Job:
    """One run of an action: what, where, and for undo what the original run remembered."""

    action: str
    target: str
    options: dict
    account: str | None
    region: str
    incident_id: int
    request_id: int | None = None
    undo: bool = False
    memory: dict = field(default_factory=dict)  # for undo: what apply remembered
    context: dict = field(default_factory=dict)  # facts core found (e.g. the incident's subnets)

    @property
    def label(self) -> str | None:
        """The request's number as people see it (C12, E13, R14); None while only planning."""
        spec = SPECS.get(self.action)
        prefix = FAMILIES[spec.family].prefix if spec else "C"
        return f"{prefix}{self.request_id}" if self.request_id is not None else None


@dataclass(frozen=True)
class Plan:
    """What a person approves: the state now and exactly what will change."""

    account: str
    current: list[str]
    changes: list[str]
    facts: dict = field(default_factory=dict)  # plain data worth keeping (vpc, subnets, owner)
    already_done: bool = False  # the target is in the wanted state: nothing to approve or run


@dataclass(frozen=True)
class Outcome:
    summary: str
    memory: dict  # what undo needs (original groups, prior settings, ...)
    checks: list[tuple[str, bool]]  # verification: (what was checked, whether it holds)

    @property
    def verified(self) -> bool:
        return all(ok for _, ok in self.checks)


AwsCallRecorder = Callable[[dict], None]  # receives {"call", "request_id", "status", "error"}


class Catalog(Protocol):
    """Implemented by aws.actions.registry over boto3."""

    def plan(self, job: Job, record: AwsCallRecorder) -> Plan:
        """Read-only describe calls; raise an error naming the AWS code if the target is unknown."""

    def apply(self, job: Job, record: AwsCallRecorder) -> Outcome:
        """Make the change (or its undo) and verify it; on failure undo what was done, then raise."""
