"""Expiry hooks run by the clock: both are registered, and containment requests left
unapproved past their window expire, once (release_snoozed is tested with the findings)."""

from datetime import timedelta

import pytest

from composition import build_services
from core.containment.flow import store as containment_store
from core.containment.model import EXPIRED, REQUESTED
from core.findings.pipeline import release_snoozed
from core.scheduling.registry import EXPIRY_HOOKS, expire_approvals


@pytest.fixture
def services(settings, clock):
    built = build_services(settings, clock=clock)
    yield built
    built.drain()


def request_approval(services):
    incident, _ = services.incidents.create(title="t", severity="sev2", category="other", declared_by="UALICE",
                                            at=services.clock.now(), origin_channel=None, dedup_key=None,
                                            timeline_text="declared")
    now = services.clock.now()
    fields = dict(incident_id=incident.id, undo_of=None, action="disable-key", target="AKIAEXAMPLE", options={},
                  account="123456789012", region="us-east-1", requested_by="UALICE", state=REQUESTED,
                  dry_run=False, requested_at=now, expires_at=now + timedelta(minutes=30), dedup_key=None,
                  plan={"current": {}, "changes": [], "facts": {}}, decided_by=None, decided_at=None)
    created, _ = containment_store(services).create(fields, {"event": "requested", "actor": "UALICE"}, now)
    return created


def test_the_clock_runs_the_expiry_hooks():
    from core.drills.runner import deliver_due

    assert dict(EXPIRY_HOOKS) == {"finding-snoozes": release_snoozed, "containment-approvals": expire_approvals,
                                  "drill-findings": deliver_due}


def test_an_unapproved_request_expires_once_its_window_passed(services, clock):
    request = request_approval(services)
    clock.advance(minutes=29)
    assert expire_approvals(services) == 0
    clock.advance(minutes=1)
    assert expire_approvals(services) == 1
    assert containment_store(services).get(request.id).state == EXPIRED
    assert expire_approvals(services) == 0
