"""The containment state machine through core.containment.service, with a fake action
catalog and board: requested → approved → executing → succeeded (or failed, expired,
denied, undone), exactly once, on the timeline and the audit chain."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.incidents import service as incidents
from core.containment import executor, service
from core.containment.config import Approvers
from core.containment.model import APPROVED
from core.containment.parse import command_for, parse
from core.errors import InvalidTransition, PermissionDenied, UsageError
from core.findings.pipeline import ingest
from core.findings import triage
from tests.support.fakes import FakeCatalog, fake_services
from tests.support.findings import finding

ALICE, BOB = "U0ALICE", "U0BOB"


def with_containment(settings, **changes):
    cfg = settings.config
    return dataclasses.replace(settings, config=cfg.model_copy(update={
        "containment": cfg.containment.model_copy(update=changes)}))


@pytest.fixture
def make(settings, clock):
    built = []

    def build(**changes):
        services = fake_services(with_containment(settings, **changes), clock)
        built.append(services)
        return services

    yield build
    for services in built:
        services.drain()


def incident_of(services):
    return incidents.declare(services, title="Exposed bucket", declared_by=ALICE).incident


def submit(services, incident, text, actor=ALICE, key="k1"):
    return service.submit(services, actor=actor, channel=incident.channel_id, command=parse(text), dedup_key=key)


def test_request_then_approval_runs_once_and_is_verified(make):
    services = make()
    incident = incident_of(services)
    request = submit(services, incident, "block-public-s3 exposed-bucket")
    assert request.state == "requested" and services.catalog.applied == []
    done = service.decide(services, request.id, actor=BOB, approve=True)
    assert done.state == "succeeded" and done.outcome["verified"] is True
    assert len(services.catalog.applied) == 1
    assert services.board.states(request.id) == ["requested", "approved", "succeeded"]
    steps = [e.data["step"] for e in services.incidents.timeline(incident.id) if e.kind == "containment"]
    assert steps == ["requested", "approved", "succeeded"]
    events = [json.loads(r.body)["event"] for r in services.repos.audit.records()]
    assert events[:2] == ["requested", "approved"] and "succeeded" in events


def test_a_second_approval_is_refused_and_nothing_runs_twice(make):
    services = make()
    request = submit(services, incident_of(services), "block-public-s3 exposed-bucket")
    service.decide(services, request.id, actor=BOB, approve=True)
    with pytest.raises(InvalidTransition, match="already run"):
        service.decide(services, request.id, actor=BOB, approve=True)
    assert len(services.catalog.applied) == 1


def test_the_requester_cannot_approve_but_may_withdraw(make):
    services = make()
    request = submit(services, incident_of(services), "block-public-s3 exposed-bucket")
    with pytest.raises(PermissionDenied, match="two-person rule"):
        service.decide(services, request.id, actor=ALICE, approve=True)
    assert service.decide(services, request.id, actor=ALICE, approve=False).state == "denied"
    assert services.catalog.applied == []


def test_an_approval_after_the_window_expires_the_request(make, clock):
    services = make(approval_expiry_minutes=10)
    request = submit(services, incident_of(services), "block-public-s3 exposed-bucket")
    clock.advance(minutes=11)
    with pytest.raises(InvalidTransition, match="expired"):
        service.decide(services, request.id, actor=BOB, approve=True)
    assert services.repos.containment.get(request.id).state == "expired"
    assert services.catalog.applied == []


def test_auto_approved_actions_run_at_once_and_dry_runs_never_do(make):
    services = make(auto_approve=["block-public-s3"])
    incident = incident_of(services)
    assert submit(services, incident, "block-public-s3 exposed-bucket").state == "succeeded"
    planned = submit(services, incident, "block-public-s3 other-bucket --dry-run", key="k2")
    assert planned.state == "planned" and len(services.catalog.applied) == 1


def test_a_failed_action_is_recorded_with_its_reason(settings, clock):
    services = fake_services(settings, clock, catalog=FakeCatalog(fail="AWS refused s3:PutPublicAccessBlock"))
    try:
        request = submit(services, incident_of(services), "block-public-s3 exposed-bucket")
        done = service.decide(services, request.id, actor=BOB, approve=True)
        assert done.state == "failed" and done.error_code == "FakeError"
        assert "PutPublicAccessBlock" in done.error
    finally:
        services.drain()


def test_undo_needs_its_own_approval_and_marks_the_original_undone(make):
    services = make()
    incident = incident_of(services)
    original = submit(services, incident, "block-public-s3 exposed-bucket")
    service.decide(services, original.id, actor=BOB, approve=True)
    undo = submit(services, incident, f"undo {original.id}", key="k2")
    assert undo.state == "requested" and undo.undo_of == original.id
    with pytest.raises(InvalidTransition, match="already requested"):
        submit(services, incident, f"undo {original.id}", key="k3")
    service.decide(services, undo.id, actor=BOB, approve=True)
    assert services.repos.containment.get(original.id).state == "undone"
    assert [j.undo for j in services.catalog.applied] == [False, True]


def test_snapshots_cannot_be_undone(make):
    services = make()
    incident = incident_of(services)
    snap = submit(services, incident, "snapshot-instance i-0123456789abcdef0")
    service.decide(services, snap.id, actor=BOB, approve=True)
    with pytest.raises(UsageError, match="cannot be undone"):
        submit(services, incident, f"undo {snap.id}", key="k2")


def test_recovery_runs_an_approved_request_exactly_once(make):
    services = make()
    request = submit(services, incident_of(services), "block-public-s3 exposed-bucket")
    services.repos.containment.transition(request.id, lambda current: _approved(current, BOB), services.clock.now())
    assert services.repos.containment.get(request.id).state == APPROVED  # as a crash would leave it
    assert service.recover(services) == 1 and service.recover(services) == 0
    assert len(services.catalog.applied) == 1


def _approved(current, actor):
    from core.containment.state import Decision

    return Decision({"state": APPROVED, "decided_by": actor}, {"event": APPROVED, "actor": actor})


def test_typed_commands_from_data_refuse_smuggled_options(make):
    with pytest.raises(UsageError, match="not a valid target"):
        command_for("isolate-instance", "i-0123456789abcdef0 --region eu-west-1 --account 111122223333")
    with pytest.raises(UsageError, match="takes no option"):
        command_for("isolate-instance", "i-0123456789abcdef0", {"account": "111122223333"})
    assert command_for("isolate-instance", "i-0123456789abcdef0", {"snapshot": "true"}).options == {"snapshot": True}


def test_a_finding_menu_entry_files_a_request_in_the_findings_incident(make):
    services = make()
    incident = incident_of(services)
    ingest(services, [finding(indicators={"instance_id": ["i-0123456789abcdef0"]})])
    stored = services.repos.findings.by_finding_id("f-1")
    triage.link_to_incident(services, stored.pk, incident.id, ALICE)
    request = service.from_finding(services, actor=ALICE, finding_pk=stored.pk, choice=0, dedup_key="k9")
    assert (request.action, request.target, request.incident_id) == ("isolate-instance", "i-0123456789abcdef0",
                                                                     incident.id)
    assert services.catalog.planned[-1].region == stored.region


def test_leases_stop_a_second_runner(make):
    services = make()
    request = submit(services, incident_of(services), "block-public-s3 exposed-bucket")
    services.repos.containment.transition(request.id, lambda current: _approved(current, BOB), services.clock.now())
    with services.repos.leases.hold(request.id):
        assert services.repos.leases.held(request.id)
    assert executor.execute(services, services.catalog, request.id).state == "succeeded"
    assert executor.execute(services, services.catalog, request.id) is None


def test_lowering_the_severity_does_not_dodge_the_approver_list(make):
    """Requested on sev1 (only the CISO may approve), dropped to sev3, a teammate approves:
    refused, because the lists of the severity at request time still apply."""
    from core.incidents import lifecycle

    ciso = "U0CISO"
    services = make(approvers=Approvers(severities={"sev1": [ciso]}))
    incident = incidents.declare(services, title="Key leak", declared_by=ALICE, severity="sev1").incident
    request = submit(services, incident, "block-public-s3 exposed-bucket")
    incidents.apply(services, incident.id, lambda cur, _at: lifecycle.set_severity(
        services.config.incidents, cur, "sev3", ALICE), actor=ALICE)
    with pytest.raises(PermissionDenied, match="sev1"):
        service.decide(services, request.id, actor=BOB, approve=True)
    assert services.catalog.applied == []
    assert service.decide(services, request.id, actor=ciso, approve=True).state == "succeeded"


def test_a_finding_menu_entry_acts_in_the_findings_own_account(make):
    services = make()
    incident = incident_of(services)
    ingest(services, [finding(account="444455556666", indicators={"instance_id": ["i-0123456789abcdef0"]})])
    stored = services.repos.findings.by_finding_id("f-1")
    triage.link_to_incident(services, stored.pk, incident.id, ALICE)
    service.from_finding(services, actor=ALICE, finding_pk=stored.pk, choice=0, dedup_key="k9")
    assert services.catalog.planned[-1].account == "444455556666"  # the real catalog refuses an unmanaged one


@pytest.mark.parametrize("end", ["resolve", "close", "cancel"])
def test_no_new_containment_on_an_ended_incident_but_undo_still_works(make, end):
    from core.incidents import lifecycle

    services = make()
    incident = incident_of(services)
    earlier = service.decide(services, submit(services, incident, "block-public-s3 exposed-bucket").id,
                             actor=BOB, approve=True)
    cfg = services.config.incidents
    steps = {"resolve": [lambda cur, at: lifecycle.resolve(cfg, cur, ALICE, at)],
             "close": [lambda cur, at: lifecycle.resolve(cfg, cur, ALICE, at),
                       lambda cur, at: lifecycle.close(cfg, cur, ALICE, at)],
             "cancel": [lambda cur, at: lifecycle.cancel(cfg, cur, "a drill", ALICE, at)]}[end]
    for step in steps:
        incidents.apply(services, incident.id, step, actor=ALICE)
    planned = len(services.catalog.planned)
    with pytest.raises(InvalidTransition) as refused:
        submit(services, incident, "block-public-s3 other-bucket", key="k2")
    word = {"resolve": "resolved", "close": "closed", "cancel": "cancelled"}[end]
    assert f"is {word}" in refused.value.message and "/incident reopen" in refused.value.message
    assert "/contain undo" in refused.value.message
    assert len(services.catalog.planned) == planned  # not even a read-only plan
    audit = [json.loads(r.body) for r in services.repos.audit.records()]
    assert audit[-1]["event"] == "refused" and audit[-1]["target"] == "other-bucket"
    undo = submit(services, incident, f"undo {earlier.id}", key="k3")
    assert undo.undo_of == earlier.id and undo.state == "requested"


def test_a_target_already_in_the_wanted_state_needs_no_approval_and_runs_nothing(settings, clock):
    services = fake_services(settings, clock, catalog=FakeCatalog(already=True))
    try:
        incident = incident_of(services)
        request = submit(services, incident, "block-public-s3 exposed-bucket")
        assert request.state == "already-done" and services.catalog.applied == []
        assert services.board.states(request.id) == ["already-done"]
        with pytest.raises(InvalidTransition, match="already in place"):
            service.decide(services, request.id, actor=BOB, approve=True)
        [entry] = [e for e in services.incidents.timeline(incident.id) if e.kind == "containment"]
        assert entry.text.startswith("Already in place, nothing to run")
    finally:
        services.drain()
