"""The `containment:` configuration: who may request and approve, expiry, dry-run,
auto-approval, accounts to act in, and how block-ip blocks."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.containment.catalog import SPECS
from core.validators import Strict, slack_ids

EXTERNAL_ID_MIN = 16  # deploy/member-role.yaml's ExternalId MinLength


def _actions(names) -> None:
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        raise ValueError(f"unknown containment actions {unknown}; the catalog has {sorted(SPECS)}")


class Approvers(Strict):
    """Who may approve. Every list that applies (the action's, the incident severity's) must
    name the approver; when none applies, `default`; an empty default means any responder."""

    default: list[str] = Field(default_factory=list)
    actions: dict[str, list[str]] = Field(default_factory=dict)
    severities: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("default")
    @classmethod
    def _ids(cls, ids: list[str]) -> list[str]:
        return slack_ids(ids)

    @field_validator("actions", "severities")
    @classmethod
    def _id_lists(cls, lists: dict[str, list[str]]) -> dict[str, list[str]]:
        for ids in lists.values():
            slack_ids(ids)
        return lists

    @model_validator(mode="after")
    def _known_actions(self) -> "Approvers":
        _actions(self.actions)
        return self


class AccountRole(Strict):
    role_arn: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    # Required: the member role's trust policy must ask for it (sts:ExternalId), so a role
    # ARN alone (it is not secret) never lets another principal reuse the trust as a deputy.
    # At least as long as deploy/member-role.yaml demands (MinLength 16), so a value the
    # template would refuse is refused here, before an incident, not as AccessDenied in one.
    external_id: str = Field(max_length=1224, pattern=r"^[\w+=,.@:/-]+$")

    @field_validator("external_id")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < EXTERNAL_ID_MIN:
            raise ValueError(f"is {len(value)} characters; deploy/member-role.yaml demands at least "
                             f"{EXTERNAL_ID_MIN} (a random string, e.g. python -c \"import secrets; "
                             "print(secrets.token_urlsafe(24))\")")
        return value


class WafIpSet(Strict):
    name: str = Field(min_length=1)
    id: str = Field(min_length=1)
    scope: Literal["REGIONAL", "CLOUDFRONT"] = "REGIONAL"


class BlockIp(Strict):
    mode: Literal["nacl", "waf"] = "nacl"
    # NACL rule numbers Firebreak may use for its deny entries; keep them below your allow rules.
    nacl_rule_range: tuple[int, int] = (1, 99)
    waf_ip_set: WafIpSet | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "BlockIp":
        low, high = self.nacl_rule_range
        if not 1 <= low <= high <= 32766:
            raise ValueError(f"nacl_rule_range must be two numbers 1 ≤ low ≤ high ≤ 32766, got {[low, high]}")
        if self.mode == "waf" and self.waf_ip_set is None:
            raise ValueError("mode waf needs waf_ip_set (name, id, scope)")
        return self


class ContainmentConfig(Strict):
    requesters: list[str] = Field(default_factory=list)
    approvers: Approvers = Field(default_factory=Approvers)
    approval_expiry_minutes: int = Field(default=30, ge=1, le=24 * 60)
    dry_run: bool = False
    auto_approve: list[str] = Field(default_factory=list)
    accounts: dict[str, AccountRole] = Field(default_factory=dict)
    # IAM users/roles (ARNs or bare names) no action may quarantine, disable keys of or unassign: break-glass.
    protected_principals: list[str] = Field(default_factory=list)
    isolation_group: str = Field(default="firebreak-isolation", pattern=r"^[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]{1,200}$")
    block_ip: BlockIp = Field(default_factory=BlockIp)
    recovery_interval_seconds: int = Field(default=60, ge=0)

    @field_validator("requesters")
    @classmethod
    def _ids(cls, ids: list[str]) -> list[str]:
        return slack_ids(ids)

    @field_validator("auto_approve")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        _actions(names)
        return names

    @field_validator("accounts")
    @classmethod
    def _account_ids(cls, accounts: dict[str, AccountRole]) -> dict[str, AccountRole]:
        bad = [a for a in accounts if not re.fullmatch(r"\d{12}", str(a))]
        if bad:
            raise ValueError(f"account ids are 12 digits, got {bad}")
        return accounts
