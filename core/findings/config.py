"""The `findings:` configuration beyond the CloudTrail rules: routes, digests, intake.

Kept apart from core/settings.py so the intake pipeline owns its own knobs; FindingsConfig
composes these models. Cross-section checks (a route's incident severity must exist in
`incidents.severities`) live in core.findings.routing, which sees the whole config.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from core.findings.model import SEVERITIES
from core.validators import Strict


class RouteMatch(Strict):
    """Every key given must match (AND); within a list any value may match (OR)."""

    source: list[str] = Field(default_factory=list)
    type: list[str] = Field(default_factory=list)  # globs, e.g. "UnauthorizedAccess:IAMUser/*"
    min_severity: Literal[SEVERITIES] | None = None  # type: ignore[valid-type]
    severity: list[Literal[SEVERITIES]] = Field(default_factory=list)  # type: ignore[valid-type]
    account: list[str] = Field(default_factory=list)
    region: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)  # resource tag key: value, all must match


class Route(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
    match: RouteMatch = Field(default_factory=RouteMatch)
    action: Literal["post", "declare", "suppress"]
    channel: str | None = Field(default=None, min_length=1)  # default: slack.triage_channel
    incident_severity: str | None = None  # declare: default from severity_map
    category: str | None = None  # declare: default incidents.default_category
    digest: bool = False  # post: every finding into the window's digest, whatever its severity

    @model_validator(mode="after")
    def _fits_action(self) -> "Route":
        if self.action == "suppress" and (self.channel or self.incident_severity or self.category):
            raise ValueError(f"route {self.name!r} suppresses, so channel/incident_severity/category mean nothing")
        if self.action == "post" and (self.incident_severity or self.category):
            raise ValueError(f"route {self.name!r} posts; incident_severity/category need action: declare")
        if self.digest and self.action != "post":
            raise ValueError(f"route {self.name!r}: digest needs action: post")
        return self


VULNERABILITY_ROUTE = "vulnerabilities"


class VulnerabilitiesConfig(Strict):
    """The shipped route for vulnerability findings (Inspector's, in any format): not
    incidents, posted digested to their own channel, never declared. It comes after
    `findings.routes`, so a route of yours can take them first."""

    enabled: bool = True
    channel: str | None = Field(default=None, min_length=1)  # default: slack.triage_channel

    def route(self) -> Route:
        return Route(name=VULNERABILITY_ROUTE, match=RouteMatch(source=["inspector"]), action="post",
                     channel=self.channel, digest=True)


class DigestConfig(Strict):
    after: int = Field(default=5, ge=0, le=1000)
    # Findings of this severity or above never go into a digest: each gets its own message
    # with its buttons, however busy the window (None: any finding may be grouped).
    always_alone_from: Literal[SEVERITIES] | None = "high"  # type: ignore[valid-type]
    window_seconds: int = Field(default=300, ge=10, le=86400)
    top: int = Field(default=10, ge=1, le=30)
    pace_seconds: float = Field(default=1.0, ge=0.0, le=60.0)


class QueueConfig(Strict):
    wait_seconds: int = Field(default=20, ge=0, le=20)
    batch_size: int = Field(default=10, ge=1, le=10)
    visibility_timeout: int = Field(default=120, ge=0, le=43200)
    dead_letter_queue_url: str | None = Field(default=None, pattern=r"^https?://")


SNS_TOPIC_ARN = r"^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$"


class IntakeConfig(Strict):
    # Empty: SNS intake is off (every message refused with 403, no subscription confirmed).
    sns_topic_arns: list[Annotated[str, Field(pattern=SNS_TOPIC_ARN)]] = Field(default_factory=list)
    sns_require_signature_v2: bool = True  # refuse SignatureVersion 1 (SHA1)
    sns_max_age_seconds: int = Field(default=3600, ge=60, le=7 * 86400)  # older Timestamp: a replay
    sns_max_clock_skew_seconds: int = Field(default=300, ge=0, le=3600)  # Timestamp this far ahead is fine


def intake_warnings(intake: IntakeConfig) -> list[str]:
    """What `check-config` says about HTTP intake of findings (each names its setting)."""
    if not intake.sns_topic_arns:
        return ["findings.intake.sns_topic_arns is empty, so SNS intake is off: POST /intake/sns answers "
                "403 and confirms no subscription. List the ARNs of your findings topics to turn it on."]
    if not intake.sns_require_signature_v2:
        return ["findings.intake.sns_require_signature_v2 is false: SNS messages signed with SHA1 "
                "(SignatureVersion 1) are accepted. Set the topics' SignatureVersion attribute to 2 "
                "and remove the setting."]
    return []


class AttackSequenceConfig(Strict):
    """The shipped route for GuardDuty attack sequences: each declares one incident (after
    the user's own routes, before the default one). `declare: false` turns it off."""

    declare: bool = True
    match: list[str] = Field(default_factory=lambda: ["AttackSequence:*"])
    incident_severity: str | None = "sev1"
    category: str | None = None
    channel: str | None = Field(default=None, min_length=1)  # default: slack.triage_channel


class SecurityHubPollConfig(Strict):
    enabled: bool = False
    api: Literal["v1", "v2"] = "v1"  # v1: GetFindings (CSPM, ASFF); v2: GetFindingsV2 (the new Security Hub, OCSF)
    every_minutes: int = Field(default=5, ge=1, le=24 * 60)
    lookback_minutes: int = Field(default=60, ge=1, le=60 * 24 * 90)
    page_size: int = Field(default=100, ge=1, le=100)


DEFAULT_SEVERITY_MAP = {"critical": "sev1", "high": "sev2", "medium": "sev3", "low": "sev4",
                        "informational": "sev4"}
