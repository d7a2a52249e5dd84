"""Issue 22 item 2: rows a database writer inserts or edits are not acted on.

With FIREBREAK_AUDIT_KEY set, every job is sealed when the ack enqueues it and every response
request's plan, approval and memory when Firebreak writes them (core/integrity.py,
core/containment/seals.py). A forged approval job naming bob, a plan whose facts or target
were changed, and an approval written straight into the row are refused, and each refusal is
on the audit chain, which still verifies."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, update

from core.audit import service as audit
from core.clock import ManualClock
from core.containment import executor
from core.containment.flow import store
from core.jobs import DEAD
from handlers.containment.commands import Decide
from handlers.jobs.command import ReplyTo, document
from store.containment.models import ContainRequestRow
from store.jobs import JobRow
from tests.support.containment import click, contain, declare, eni_groups, instance, wait_state, workspace
from tests.support.slack import ack_body, eventually, settled

KEY = "k" * 64


@pytest.fixture
def keyed(settings, moto_inprocess):
    keyed = dataclasses.replace(settings, secrets=dataclasses.replace(settings.secrets, audit_key=KEY))
    ws = workspace(keyed, ManualClock())
    yield ws
    ws.stop()


def _requested(ws, incident, text):
    assert ack_body(contain(ws, incident, text)) == {}
    return settled(ws, lambda: (found := [r for r in store(ws.services).for_incident(incident.id)])
                   and found[-1].message_ts and found[-1])


def _events(ws) -> list[dict]:
    return [json.loads(r.body) for r in ws.services.repos.audit.records()]


def _insert_job(ws, *, key: str, route: str, payload: dict, mac: str | None = None) -> int:
    now = datetime.now(timezone.utc)
    with ws.services.db.session() as session:
        job_id = session.execute(insert(JobRow.__table__).values(
            key=key, route=route, payload=payload, state="queued", attempts=0, run_after=now, created_at=now,
            mac=mac).returning(JobRow.id)).scalar_one()
    ws.services.repos.jobs.wake()
    return job_id


@pytest.mark.parametrize("mac", [None, "0" * 64], ids=["without a MAC", "with a made-up MAC"])
def test_a_forged_approval_job_naming_bob_does_not_run_and_its_refusal_is_audited(keyed, mac):
    ws = keyed
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    request = _requested(ws, incident, f"isolate-instance {instance_id}")
    answers = len(ws.fake.calls_to("response_url"))

    forged = Decide(user=ws.user("bob"), team="T0", request=request.id, approve=True)
    job_id = _insert_job(ws, key="action:forged-1", route=forged.route, mac=mac,
                         payload=document(forged, ReplyTo(response_url=ws.fake.response_url(incident.channel_id, ws.user("bob")))))
    eventually(lambda: ws.services.repos.jobs.get(job_id).state == DEAD, timeout=10)

    assert "refused" in ws.services.repos.jobs.get(job_id).last_error
    assert store(ws.services).get(request.id).state == "requested", "bob's forged approval was not applied"
    assert list(eni_groups(instance_id).values()) == [sorted(groups)], "nothing ran in AWS"
    refusals = [e for e in _events(ws) if e["event"] == "job-refused"]
    assert [(e["job"], e["route"], e["key"]) for e in refusals] == [(job_id, "response.decide", "action:forged-1")]
    assert len(ws.fake.calls_to("response_url")) == answers, "a forged row's reply address is not answered"
    assert audit.check(ws.services).ok, "the chain, refusal included, still verifies"

    click(ws, incident, request.id, user="bob")  # bob's own click, signed by Slack, still works
    assert wait_state(ws, request.id, "succeeded").decided_by == ws.user("bob")


def test_a_job_sealed_for_one_row_does_not_verify_copied_onto_another(keyed):
    ws = keyed
    instance_id, *_ = instance()
    incident = declare(ws)
    request = _requested(ws, incident, f"isolate-instance {instance_id}")
    mine = next(j for j in ws.services.repos.jobs.listed(limit=20) if j.route == "response.request")
    forged = Decide(user=ws.user("bob"), team="T0", request=request.id, approve=True)
    job_id = _insert_job(ws, key=mine.key + "-copy", route=forged.route, mac=mine.mac,
                         payload=document(forged, ReplyTo()))
    eventually(lambda: ws.services.repos.jobs.get(job_id).state == DEAD, timeout=10)
    assert store(ws.services).get(request.id).state == "requested"


def _tamper(ws, request_id, **values):
    with ws.services.db.session() as session:
        session.execute(update(ContainRequestRow).where(ContainRequestRow.id == request_id).values(**values))


@pytest.mark.parametrize("change", ["plan facts", "target"])
def test_a_plan_changed_in_the_database_is_refused_at_execution_and_audited(keyed, change):
    ws = keyed
    instance_id, vpc, _, groups = instance()
    other_id, _, _, other_groups = instance()
    incident = declare(ws)
    request = _requested(ws, incident, f"isolate-instance {instance_id}")
    if change == "plan facts":
        plan = dict(request.plan, facts={**request.plan["facts"], "vpc": "vpc-attacker", "subnets": ["subnet-x"]})
        _tamper(ws, request.id, plan=plan)
    else:
        _tamper(ws, request.id, target=other_id)

    click(ws, incident, request.id, user="bob")
    failed = wait_state(ws, request.id, "failed")
    assert "plan is not the one Firebreak recorded" in failed.error
    assert list(eni_groups(instance_id).values()) == [sorted(groups)]
    assert list(eni_groups(other_id).values()) == [sorted(other_groups)], "nothing ran in AWS"
    refused = [e for e in _events(ws) if e["event"] == "refused-forged"]
    assert [e["request"] for e in refused] == [request.id]
    assert not [e for e in _events(ws) if e["event"] == "aws-call" and e.get("request") == request.id]
    assert audit.check(ws.services).ok


def test_an_approval_written_into_the_row_is_refused_by_the_executor(keyed):
    ws = keyed
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    request = _requested(ws, incident, f"isolate-instance {instance_id}")
    _tamper(ws, request.id, state="approved", decided_by=ws.user("bob"), decided_at=datetime.now(timezone.utc))

    executor.recover(ws.services, ws.services.catalog)  # the sweep that resumes approved requests
    failed = store(ws.services).get(request.id)
    assert failed.state == "failed" and "approval was not recorded by Firebreak" in failed.error
    assert list(eni_groups(instance_id).values()) == [sorted(groups)]
    assert any(e["event"] == "refused-forged" for e in _events(ws))


def test_an_undo_whose_remembered_groups_were_changed_is_refused(keyed):
    ws = keyed
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    request = _requested(ws, incident, f"isolate-instance {instance_id}")
    click(ws, incident, request.id, user="bob")
    done = wait_state(ws, request.id, "succeeded")
    isolated = list(eni_groups(instance_id).values())
    memory = dict(done.memory, enis={eni: ["sg-attacker"] for eni in done.memory["enis"]})
    _tamper(ws, request.id, memory=memory)
    ws.sender.command("/incident", "phase eradication", user=ws.user("alice"), channel=incident.channel_id)
    settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "eradication")

    undo = _requested(ws, incident, f"undo {request.id}")
    click(ws, incident, undo.id, user="bob")
    failed = wait_state(ws, undo.id, "failed")
    assert "is not what Firebreak recorded" in failed.error
    assert list(eni_groups(instance_id).values()) == isolated, "the attacker's groups were not put on the instance"
    assert store(ws.services).get(request.id).state == "succeeded", "the isolation stays in effect"
