"""core.scheduling.ports.Pager over SNS: each SLA breach is published as one JSON message
to `scheduling.escalation.sns_topic_arn`, for paging tools, email or chat-ops elsewhere.
The client comes from AwsSessions (region from the topic ARN, the configured retries)."""

from __future__ import annotations

import json
from typing import Any

from aws.errors import aws_errors
from aws.sessions import AwsSessions
from core.scheduling.ports import Escalation

SUBJECT_LIMIT = 100  # SNS: ASCII, no line breaks, at most 100 characters (hence no title in it)


def subject(escalation: Escalation) -> str:
    incident = escalation.incident
    return f"Firebreak: {escalation.sla} SLA breached on incident {incident.label} ({incident.severity})"[
        :SUBJECT_LIMIT]


def message(escalation: Escalation) -> dict[str, Any]:
    incident = escalation.incident
    return {
        "type": "firebreak.sla_breach",
        "sla": escalation.sla,
        "limit_minutes": int(escalation.limit.total_seconds() // 60),
        "deadline": escalation.deadline.isoformat(),
        "incident": {"id": incident.id, "title": incident.title, "severity": incident.severity,
                     "category": incident.category, "phase": incident.phase, "channel_id": incident.channel_id,
                     "declared_at": incident.declared_at.isoformat(), "commander": escalation.commander},
        "mention": list(escalation.mention),
    }


class SnsPager:
    def __init__(self, client: Any, topic_arn: str):
        self.client = client
        self.topic_arn = topic_arn

    def page(self, escalation: Escalation) -> None:
        with aws_errors("sns"):
            self.client.publish(TopicArn=self.topic_arn, Subject=subject(escalation),
                                Message=json.dumps(message(escalation)))


def sns_pager(sessions: AwsSessions, topic_arn: str | None) -> SnsPager | None:
    """A pager for the configured topic (client in the topic's region); None when no topic is set."""
    if not topic_arn:
        return None
    return SnsPager(sessions.client("sns", region=topic_arn.split(":")[3]), topic_arn)
