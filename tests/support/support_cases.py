"""The two AWS Support operations moto 5.2 lacks, added for tests: AddCommunicationToCase
and DescribeCommunications (moto implements CreateCase, DescribeCases and ResolveCase).

They keep a case's correspondence in moto's own case object (the list DescribeCases
returns as recentCommunications), answer like AWS (DescribeCommunications newest first,
CaseIdNotFound for an unknown case) and record who wrote each message by the caller's
access key, so a test can play the AWS engineer with a second client. Installed per test
by the `support_api` fixture (monkeypatch undoes it); the AWS sandbox registers the same
functions in its server (aws/sandbox_standins.py)."""

from __future__ import annotations

import pytest
from moto.support.responses import SupportResponse

# The same stand-ins the AWS sandbox registers in its server (aws/sandbox_standins.py).
from aws.sandbox_standins import CaseIdNotFound, add_communication_to_case, describe_communications  # noqa: F401


@pytest.fixture
def support_api(monkeypatch):
    monkeypatch.setattr(SupportResponse, "add_communication_to_case", add_communication_to_case, raising=False)
    monkeypatch.setattr(SupportResponse, "describe_communications", describe_communications, raising=False)
