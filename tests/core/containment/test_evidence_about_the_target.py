"""Issue 22 item 6(c): "evidence recorded" is met only by evidence about the same target (the
key itself) or its principal (the IAM user this incident found owning the key), never by any
evidence of the incident."""

from __future__ import annotations

import dataclasses

import pytest

from core.containment import service
from core.containment.catalog import Outcome
from core.containment.parse import parse
from core.errors import InvalidTransition
from core.incidents import service as incidents
from tests.support.fakes import FakeCatalog, fake_services

ALICE, BOB = "U0ALICE", "U0BOB"
KEY = "AKIAVICTIMKEY0000001"


@dataclasses.dataclass
class KeyOwners(FakeCatalog):
    """disable-access-key remembers the key's IAM user, as the AWS action does."""

    def apply(self, job, record):
        outcome = super().apply(job, record)
        if job.action == "disable-access-key":
            return Outcome(outcome.summary, {"user": "mallory", "was": "Active"}, outcome.checks)
        return outcome


@pytest.fixture
def services(settings, clock):
    built = fake_services(settings, clock, catalog=KeyOwners())
    yield built
    built.drain()


def run(services, incident, text, family, key):
    request = service.submit(services, actor=ALICE, channel=incident.channel_id, command=parse(text, family),
                             dedup_key=key)
    return service.decide(services, request.id, actor=BOB, approve=True)


def delete_key(services, incident, key):
    return service.submit(services, actor=ALICE, channel=incident.channel_id,
                          command=parse(f"delete-access-key {KEY}", "remediate"), dedup_key=key)


def test_evidence_about_something_else_does_not_let_a_key_be_deleted(services):
    incident = incidents.declare(services, title="Leaked key", declared_by=ALICE).incident
    run(services, incident, "collect-logs someone-else", "evidence", "e1")
    run(services, incident, "collect-disk i-0123456789abcdef0", "evidence", "e2")
    with pytest.raises(InvalidTransition, match=f"needs evidence recorded first, about {KEY}"):
        delete_key(services, incident, "d1")


def test_evidence_about_the_key_itself_counts(services):
    incident = incidents.declare(services, title="Leaked key", declared_by=ALICE).incident
    run(services, incident, f"collect-logs {KEY}", "evidence", "e1")
    assert delete_key(services, incident, "d1").state == "requested"


def test_evidence_about_the_keys_user_counts_once_the_incident_knows_the_user(services):
    incident = incidents.declare(services, title="Leaked key", declared_by=ALICE).incident
    run(services, incident, "collect-logs mallory", "evidence", "e1")
    with pytest.raises(InvalidTransition) as refused:  # nothing in the incident says mallory owns the key yet
        delete_key(services, incident, "d1")
    assert "collect-logs" in refused.value.message
    run(services, incident, f"disable-access-key {KEY}", "contain", "c1")  # finds (and remembers) its user
    request = delete_key(services, incident, "d2")
    assert request.state == "requested"
    assert request.plan["current"][0].startswith("evidence recorded first: ") and "mallory" in request.plan["current"][0]
