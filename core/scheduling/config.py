"""Configuration of the clock: sweep cadence, the leader lease, status-update reminders,
SLA timers and where breaches escalate. Severity names are checked against
`incidents.severities` by `problems()`, because this section alone cannot see them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator

from core.validators import SlackIds, Strict

Minutes = Annotated[int, Field(ge=1, le=525600)]
SNS_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")


class SlaTargets(Strict):
    acknowledge_minutes: Minutes | None = None
    contain_minutes: Minutes | None = None

    def limit(self, sla: str) -> timedelta | None:
        minutes = getattr(self, f"{sla}_minutes")
        return timedelta(minutes=minutes) if minutes else None


class EscalationConfig(Strict):
    mention: SlackIds = Field(default_factory=list)
    sns_topic_arn: str | None = None
    # Audiences of communications.audiences whose pager is triggered on a breach.
    page: list[str] = Field(default_factory=list)

    @field_validator("sns_topic_arn")
    @classmethod
    def _topic(cls, arn: str | None) -> str | None:
        if arn is not None and not SNS_TOPIC.match(arn):
            raise ValueError("expected an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:firebreak")
        return arn


class SchedulingConfig(Strict):
    sweep_seconds: int = Field(default=60, ge=1, le=3600)
    lease_seconds: int = Field(default=30, ge=2, le=600)
    update_reminder_minutes: dict[str, Minutes] = Field(default_factory=dict)
    sla: dict[str, SlaTargets] = Field(default_factory=dict)
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    postmortem_due_days: int = Field(default=5, ge=0, le=90)  # 0: no postmortem reminders

    def reminder_every(self, severity: str) -> timedelta | None:
        minutes = self.update_reminder_minutes.get(severity)
        return timedelta(minutes=minutes) if minutes else None

    def sla_limit(self, severity: str, sla: str) -> timedelta | None:
        targets = self.sla.get(severity)
        return targets.limit(sla) if targets else None


def problems(config) -> list[str]:
    """Severities named in `scheduling` that `incidents.severities` does not define (a typo
    would silently switch a reminder or an SLA off)."""
    known = config.incidents.severity_names
    found = []
    for section, names in (("update_reminder_minutes", config.scheduling.update_reminder_minutes),
                           ("sla", config.scheduling.sla)):
        for name in names:
            if name not in known:
                found.append(f"scheduling.{section}.{name}: unknown severity; severities are {known}")
    return found
