"""Configuration of incidents: severities, the classification framework, roles and who may
change what. Kept apart from core/settings.py so each feature owns its own settings."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.validators import SlackIds, Strict

# Subcommands whose use can be restricted to incident roles (incidents.permissions).
RESTRICTABLE = ("severity", "category", "phase", "resolve", "close", "reopen", "role", "update", "note",
                "notify", "page", "notified", "determined", "aws-support", "aws-ir")


class Severity(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""


class IncidentsConfig(Strict):
    severities: list[Severity] = Field(min_length=1)
    default_severity: str
    categories: list[str] = Field(min_length=1)
    default_category: str
    max_title_length: int = Field(ge=10, le=1000)
    roles: list[str] = Field(min_length=1)
    declarer_role: str | None = None
    permissions: dict[str, list[str]] = Field(default_factory=dict)
    invite: SlackIds = Field(default_factory=list)
    private_by_default: bool = False
    archive_on_close: bool = False  # archive the incident channel when the incident is closed
    # A private incident's announcement: "neutral" (number only, no title, no Join) or "none".
    private_announcement: Literal["neutral", "none"] = "neutral"
    # Who may open any private incident by number besides its channel's members (U…/S…).
    private_viewers: SlackIds = Field(default_factory=list)
    timeline_reaction: str = Field(min_length=1, pattern=r"^[a-z0-9_+'-]+$")
    channel_pattern: str = Field(min_length=1)

    @field_validator("roles", "categories")
    @classmethod
    def _slugs(cls, names: list[str]) -> list[str]:
        bad = [n for n in names if not re.fullmatch(r"[a-z][a-z0-9_-]*", n)]
        if bad:
            raise ValueError(f"use lower-case words with - or _, got {bad}")
        if len(set(names)) != len(names):
            raise ValueError(f"entries must be unique, got {names}")
        return names

    @field_validator("channel_pattern")
    @classmethod
    def _pattern(cls, pattern: str) -> str:
        try:
            pattern.format(id=1, slug="x", severity="sev1")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"may use only {{id}}, {{slug}} and {{severity}} placeholders ({exc})") from None
        return pattern

    @model_validator(mode="after")
    def _consistent(self) -> "IncidentsConfig":
        names = [s.name for s in self.severities]
        if len(set(names)) != len(names):
            raise ValueError(f"severity names must be unique, got {names}")
        if self.default_severity not in names:
            raise ValueError(f"default_severity {self.default_severity!r} is not one of {names}")
        if self.default_category not in self.categories:
            raise ValueError(f"default_category {self.default_category!r} is not one of {self.categories}")
        if self.declarer_role and self.declarer_role not in self.roles:
            raise ValueError(f"declarer_role {self.declarer_role!r} is not one of the roles {self.roles}")
        for command, roles in self.permissions.items():
            if command not in RESTRICTABLE:
                raise ValueError(f"permissions: {command!r} cannot be restricted; use one of {list(RESTRICTABLE)}")
            unknown = [r for r in roles if r not in self.roles]
            if unknown:
                raise ValueError(f"permissions.{command}: unknown roles {unknown}; roles are {self.roles}")
        return self

    @property
    def severity_names(self) -> list[str]:
        return [s.name for s in self.severities]

    def announced(self, private: bool) -> bool:
        """Is a declaration told outside the incident's channel (the announcement channel, the
        channel it was declared in)? Not for a private incident under `private_announcement: none`."""
        return not private or self.private_announcement != "none"
