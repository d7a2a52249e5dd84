"""Issue 22 item 6: remediation safety checks cannot be bypassed. One precondition check runs
when a request is made, when it is approved and when it is executed; undoing an isolation
needs lift-isolation's checks; "evidence recorded" counts only evidence about the same
target or its principal. Through signed Slack requests, against moto."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from core.clock import ManualClock
from core.containment import executor
from core.containment.flow import store
from store.containment.models import ContainRequestRow
from store.models import IncidentRow
from tests.support.containment import click, contain, declare, eni_groups, instance, wait_state, workspace
from tests.support.slack import all_text, settled


@pytest.fixture
def ws(settings, moto_inprocess):
    ws = workspace(settings, ManualClock())
    yield ws
    ws.stop()


def _answer_after(ws, send) -> str:
    before = len(ws.fake.calls_to("response_url"))
    send()
    calls = settled(ws, lambda: (found := ws.fake.calls_to("response_url")) and len(found) > before and found)
    return " ".join(all_text(c.body) for c in calls[before:])


def _newest(ws, incident):
    return settled(ws, lambda: (found := store(ws.services).for_incident(incident.id)) and found[-1].message_ts
                   and found[-1])


def _phase(ws, incident, phase):
    ws.sender.command("/incident", f"phase {phase}", user=ws.user("alice"), channel=incident.channel_id)
    settled(ws, lambda: ws.services.incidents.get(incident.id).phase == phase)


def _isolated(ws, incident, instance_id):
    contain(ws, incident, f"isolate-instance {instance_id}")
    isolation = _newest(ws, incident)
    click(ws, incident, isolation.id, user="bob")
    return wait_state(ws, isolation.id, "succeeded")


def test_undo_of_an_isolation_before_eradication_is_refused_like_lift_isolation(ws):
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    isolation = _isolated(ws, incident, instance_id)
    refused = _answer_after(ws, lambda: contain(ws, incident, f"undo {isolation.id}"))
    assert f"Undoing C{isolation.id} lifts an isolation" in refused
    assert "move the incident to eradication" in refused
    assert [r.id for r in store(ws.services).for_incident(incident.id)] == [isolation.id], "no undo was filed"
    assert list(eni_groups(instance_id).values()) != [sorted(groups)], "still isolated"


def test_lift_isolation_requested_in_eradication_is_not_approved_after_the_phase_moved_back(ws):
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    _isolated(ws, incident, instance_id)
    _phase(ws, incident, "eradication")
    ws.sender.command("/remediate", f"lift-isolation {instance_id}", user=ws.user("alice"),
                      channel=incident.channel_id)
    lift = _newest(ws, incident)
    assert lift.action == "lift-isolation" and lift.state == "requested"
    _phase(ws, incident, "containment")  # the threat is back

    refused = _answer_after(ws, lambda: click(ws, incident, lift.id, user="bob"))
    assert f"R{lift.id} cannot be approved now" in refused and "move the incident to eradication" in refused
    assert store(ws.services).get(lift.id).state == "requested"
    assert list(eni_groups(instance_id).values()) != [sorted(groups)], "the instance stays isolated"


def test_an_approved_lift_isolation_is_not_run_once_the_phase_moved_back(ws):
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    isolation = _isolated(ws, incident, instance_id)
    _phase(ws, incident, "eradication")
    ws.sender.command("/remediate", f"lift-isolation {instance_id}", user=ws.user("alice"),
                      channel=incident.channel_id)
    lift = _newest(ws, incident)
    with ws.services.db.session() as session:  # approved, then the phase moved back before it ran
        session.execute(update(ContainRequestRow).where(ContainRequestRow.id == lift.id)
                        .values(state="approved", decided_by=ws.user("bob")))
        session.execute(update(IncidentRow).where(IncidentRow.id == incident.id).values(phase="containment"))
    executor.execute(ws.services, ws.services.catalog, lift.id)
    failed = store(ws.services).get(lift.id)
    assert failed.state == "failed" and "Not run" in failed.error and "move the incident to eradication" in failed.error
    assert store(ws.services).get(isolation.id).state == "succeeded", "the isolation is still in effect"
    assert list(eni_groups(instance_id).values()) != [sorted(groups)]
