"""An attack sequence whose Security Hub copy arrives before GuardDuty's own: the ASFF copy
(Security Hub CSPM) or the OCSF copy (the new Security Hub) is already an attack sequence
(type AttackSequence:*, so the shipped route declares a sev1 incident), it is the same
stored finding as the native copy, and the native copy arriving later brings the signals,
actors and endpoints into that finding and that incident, never a second one. A member that
arrived before either joins once the sequence's signals name it; one arriving after the
Security Hub copy joins on arrival (it names the sequence by its GuardDuty ARN, which the
stored copy was found by, whatever id it was stored under).

The ASFF and OCSF copies are derived from the native sample (tests/fixtures/README.md)."""

import json

import pytest

from composition import local_workspace
from core.findings.intake import receive_one
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.support.findings import tuned
from tests.support.slack import eventually

FIXTURES = REPO / "tests" / "fixtures" / "guardduty"
SEQUENCE_ID = "a4c9ec6a7cdb8e1c5a6b7f2e3d4c5b6a"
MEMBER_ID = "b1e2d3c4b5a6978877665544332211aa"
LATE_MEMBER_ID = "c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4"
FIRST_IDS = {"asff": "arn:aws:guardduty:us-east-1:123456789012:detector/12abc34d567e8fa901bc2d34e56789f0/finding/"
                     + SEQUENCE_ID,
             "ocsf": "7f3e2b1a9c8d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f"}


@pytest.fixture
def ws(settings):
    workspace = local_workspace(tuned(settings), threads=4)
    yield workspace
    workspace.stop()


def receive(ws, name):
    summary, received = receive_one(ws.services, (FIXTURES / name).read_text(), origin="test")
    assert received.findings == 1 and not received.rejected
    assert ws.services.notifier.drain(10)
    return summary


@pytest.mark.parametrize("form", ["asff", "ocsf"])
def test_a_security_hub_copy_first_declares_the_one_incident_the_native_copy_then_fills(ws, form):
    repo = SqlFindingRepository(ws.services.db)
    receive(ws, "attack-sequence-member-torip.json")  # a member before its sequence: no incident
    receive(ws, f"attack-sequence-credentials-{form}.json")
    sequence = repo.by_finding_id(FIRST_IDS[form])
    assert sequence.type == "AttackSequence:IAM/CompromisedCredentials"
    [incident] = ws.services.incidents.recent()
    assert incident.severity == "sev1" and sequence.incident_id == incident.id
    receive(ws, "attack-sequence-member-trail.json")  # names the sequence by its ARN: joins its incident
    assert eventually(lambda: repo.by_finding_id(LATE_MEMBER_ID).incident_id == incident.id)

    summary = receive(ws, "attack-sequence-credentials.json")  # GuardDuty's own copy, richer
    assert (summary.new, summary.updated) == (0, 1)
    assert repo.count() == 3, "two members and one sequence"
    enriched = repo.by_finding_id(FIRST_IDS[form])
    assert enriched.raw_format == "guardduty-event" and set(enriched.origins) == {form, "guardduty"}
    assert "198.51.100.7" in enriched.indicators["ip"] and "john_doe" in enriched.indicators["principal"]
    assert [i.id for i in ws.services.incidents.recent()] == [incident.id], "no second incident"
    signals = [e.data["name"] for e in ws.services.incidents.timeline(incident.id) if e.kind == "signal"]
    assert signals == ["UnauthorizedAccess:IAMUser/TorIPCaller", "CreateRole",
                       "Stealth:IAMUser/CloudTrailLoggingDisabled", "GetObject"]
    assert eventually(lambda: repo.by_finding_id(MEMBER_ID).incident_id == incident.id)
