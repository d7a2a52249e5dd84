"""The two AWS Support operations moto 5.2 lacks, added for tests: AddCommunicationToCase
and DescribeCommunications (moto implements CreateCase, DescribeCases and ResolveCase).

They keep a case's correspondence in moto's own case object (the list DescribeCases
returns as recentCommunications), answer like AWS (DescribeCommunications newest first,
CaseIdNotFound for an unknown case) and record who wrote each message by the caller's
access key, so a test can play the AWS engineer with a second client. Installed per test
by the `support_api` fixture (monkeypatch undoes it)."""

from __future__ import annotations

import datetime
import json

import pytest
from moto.core.exceptions import JsonRESTError
from moto.support.responses import SupportResponse


class CaseIdNotFound(JsonRESTError):
    code = 400

    def __init__(self, case_id: str):
        super().__init__("CaseIdNotFound", f"Case {case_id} not found")


def _case(response: SupportResponse):
    case_id = response._get_param("caseId")
    case = response.support_backend.cases.get(case_id)
    if case is None:
        raise CaseIdNotFound(case_id)
    return case


def _messages(case) -> list[dict]:
    return case.communications["recentCommunications"]["communications"]


def add_communication_to_case(self: SupportResponse) -> str:
    case = _case(self)
    _messages(case).append({
        "caseId": case.case_id, "body": self._get_param("communicationBody"),
        "submittedBy": f"{self.get_access_key()}@moto", "timeCreated": datetime.datetime.now().isoformat(),
        "attachmentSet": []})
    return json.dumps({"result": True})


def describe_communications(self: SupportResponse) -> str:
    case = _case(self)
    return json.dumps({"communications": [dict(m) for m in reversed(_messages(case))]})


@pytest.fixture
def support_api(monkeypatch):
    monkeypatch.setattr(SupportResponse, "add_communication_to_case", add_communication_to_case, raising=False)
    monkeypatch.setattr(SupportResponse, "describe_communications", describe_communications, raising=False)
