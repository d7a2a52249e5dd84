"""AWS cases behind core.communications.ports: AWS Support (SupportDesk) and AWS Security
Incident Response (SecurityIncidentResponse).

The Support API answers in us-east-1 only (and needs a Business, Enterprise On-Ramp or
Enterprise Support plan: otherwise SubscriptionRequiredException, shown as such). Support
communications carry no id of their own, so each is keyed by a digest of its time, author
and body. Security IR is regional (communications.aws_ir.region, else aws.default_region);
its CreateCase and CreateCaseComment take a client token, so a retried call opens or
comments once. Errors come out as AwsActionError naming the call and AWS's error code."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from aws.errors import aws_errors
from aws.sessions import AwsSessions
from core.communications.ports import CaseMessage

SUPPORT_REGION = "us-east-1"


def _when(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _oldest_first(messages: list[CaseMessage]) -> list[CaseMessage]:
    floor = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(messages, key=lambda m: m.at or floor)


class AwsSupportDesk:
    def __init__(self, sessions: AwsSessions):
        self.sessions = sessions

    def _client(self):
        return self.sessions.client("support", region=SUPPORT_REGION)

    def open_case(self, *, subject: str, body: str, severity: str, service_code: str, category_code: str,
                  language: str, issue_type: str, cc_emails: list[str]) -> str:
        params = dict(subject=subject, communicationBody=body, severityCode=severity, serviceCode=service_code,
                      categoryCode=category_code, language=language, issueType=issue_type)
        if cc_emails:
            params["ccEmailAddresses"] = list(cc_emails)
        with aws_errors("support"):
            return self._client().create_case(**params)["caseId"]

    def reply(self, case_id: str, body: str, cc_emails: list[str]) -> None:
        params = dict(caseId=case_id, communicationBody=body)
        if cc_emails:
            params["ccEmailAddresses"] = list(cc_emails)
        with aws_errors("support"):
            self._client().add_communication_to_case(**params)

    def correspondence(self, case_id: str) -> list[CaseMessage]:
        found = []
        with aws_errors("support"):
            for page in self._client().get_paginator("describe_communications").paginate(caseId=case_id):
                for item in page.get("communications") or []:
                    body, author, created = item.get("body") or "", item.get("submittedBy") or "", \
                        item.get("timeCreated") or ""
                    digest = hashlib.sha256(f"{created}\n{author}\n{body}".encode()).hexdigest()[:40]
                    found.append(CaseMessage(digest, author, body, _when(created)))
        return _oldest_first(found)

    def resolve(self, case_id: str) -> str:
        with aws_errors("support"):
            return self._client().resolve_case(caseId=case_id).get("finalCaseStatus") or "resolved"


class AwsSecurityIr:
    def __init__(self, sessions: AwsSessions, region: str | None = None):
        self.sessions = sessions
        self.region = region

    def _client(self):
        return self.sessions.client("security-ir", region=self.region)

    def open_case(self, *, title: str, description: str, resolver_type: str, engagement_type: str,
                  started: datetime, accounts: list[str], watchers: list[dict], regions: list[str],
                  token: str) -> str:
        params = dict(clientToken=token, resolverType=resolver_type, title=title, description=description,
                      engagementType=engagement_type, reportedIncidentStartDate=started,
                      impactedAccounts=list(accounts), watchers=list(watchers))
        if regions:
            params["impactedAwsRegions"] = [{"region": r} for r in regions]
        with aws_errors("security-ir"):
            return self._client().create_case(**params)["caseId"]

    def comment(self, case_id: str, body: str, token: str) -> str:
        with aws_errors("security-ir"):
            return self._client().create_case_comment(caseId=case_id, body=body, clientToken=token)["commentId"]

    def comments(self, case_id: str) -> list[CaseMessage]:
        found = []
        with aws_errors("security-ir"):
            for page in self._client().get_paginator("list_comments").paginate(caseId=case_id):
                for item in page.get("items") or []:
                    found.append(CaseMessage(str(item["commentId"]), item.get("creator") or "",
                                             item.get("body") or "", _when(item.get("createdDate"))))
        return _oldest_first(found)

    def status(self, case_id: str) -> str:
        with aws_errors("security-ir"):
            return self._client().get_case(caseId=case_id).get("caseStatus") or ""
