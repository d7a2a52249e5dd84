"""core.investigation.ports.EventHistory over CloudTrail's LookupEvents (management events,
90 days). Reads are bounded: at most MAX_PAGES pages of 50 per question; `truncated` says
when there was more."""

from __future__ import annotations

import json
from typing import Any

from aws.errors import AwsActionError, aws_errors
from aws.sessions import AwsSessions
from core.errors import FirebreakError
from core.investigation.model import Event, Question

MAX_PAGES = 10
ATTRIBUTE = {"principal": "Username", "key": "AccessKeyId", "instance": "ResourceName", "bucket": "ResourceName"}
WHY = {"AccessDeniedException": "Firebreak's role lacks cloudtrail:LookupEvents (see iam/firebreak-policy.json)",
       "ThrottlingException": "CloudTrail is throttling lookups (2 per second per account); ask again shortly",
       "InvalidTimeRangeException": "the window is outside CloudTrail's 90 days of event history"}


def _lookup_value(question: Question) -> str | None:
    if question.subject == "ip":
        return None  # CloudTrail cannot filter by source IP: the window is read and filtered here
    if question.subject == "principal" and question.value.startswith("arn:"):
        return question.value.rsplit("/", 1)[-1]  # user, role or session name
    return question.value


def _event(raw: dict[str, Any]) -> Event:
    detail: dict[str, Any] = {}
    try:
        detail = json.loads(raw.get("CloudTrailEvent") or "{}")
    except ValueError:
        pass
    return Event(at=raw["EventTime"], name=raw.get("EventName", ""), source=raw.get("EventSource", ""),
                 user=raw.get("Username") or (detail.get("userIdentity") or {}).get("arn", ""),
                 source_ip=str(detail.get("sourceIPAddress", "")), user_agent=str(detail.get("userAgent", ""))[:200],
                 error=str(detail.get("errorCode", "")), event_id=raw.get("EventId", ""))


class CloudTrailHistory:
    def __init__(self, sessions: AwsSessions):
        self.sessions = sessions

    def lookup(self, question: Question, *, start, end, account, region) -> tuple[list[Event], bool]:
        client = self.sessions.client("cloudtrail", account=account, region=region,
                                      session_name="firebreak-investigate")
        params: dict[str, Any] = {"StartTime": start, "EndTime": end, "MaxResults": 50}
        value = _lookup_value(question)
        if value is not None:
            params["LookupAttributes"] = [{"AttributeKey": ATTRIBUTE[question.subject], "AttributeValue": value}]
        events: list[Event] = []
        for _ in range(MAX_PAGES):
            try:
                with aws_errors("cloudtrail"):
                    page = client.lookup_events(**params)
            except AwsActionError as exc:
                why = WHY.get(exc.code)
                raise FirebreakError(f"{exc.message}" + (f" — {why}." if why else "")) from None
            found = [_event(raw) for raw in page.get("Events", [])]
            events += [e for e in found if question.subject != "ip" or e.source_ip == question.value]
            if not page.get("NextToken"):
                return events, False
            params["NextToken"] = page["NextToken"]
        return events, True
