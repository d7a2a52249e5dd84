"""One engine, three slash commands: /contain, /evidence and /remediate share the request →
plan → approval → exactly-once path, but each lists only its own actions, numbers its
requests with its own letter, writes its own timeline kind (so an evidence collection never
counts as "contained"), and a remediation's preconditions are checked before any AWS call."""

from __future__ import annotations

import pytest

from core.incidents import service as incidents, lifecycle
from core.containment import service
from core.containment.catalog import SPECS, specs_of
from core.containment.parse import command_for, parse, usage_lines
from core.containment.preconditions import CHECKS
from core.errors import InvalidTransition, UsageError
from core.metrics import contained_at, evidence_at, spans
from core.playbooks.model import Step
from tests.support.fakes import fake_services

ALICE, BOB = "U0ALICE", "U0BOB"
INSTANCE = "i-0123456789abcdef0"


@pytest.fixture
def services(settings, clock):
    built = fake_services(settings, clock)
    yield built
    built.drain()


def submit(services, incident, text, family, key):
    return service.submit(services, actor=ALICE, channel=incident.channel_id, command=parse(text, family),
                          dedup_key=key)


def run(services, incident, text, family, key):
    request = submit(services, incident, text, family, key)
    return service.decide(services, request.id, actor=BOB, approve=True)


def test_each_command_offers_only_its_own_actions_and_points_to_the_right_one():
    assert set(specs_of("contain")) & set(specs_of("evidence")) == set()
    evidence_help = " ".join(usage for usage, _ in usage_lines("evidence"))
    assert "/evidence collect-disk" in evidence_help and "isolate-instance" not in evidence_help
    assert "/evidence list" in evidence_help
    with pytest.raises(UsageError) as refused:
        parse(f"isolate-instance {INSTANCE}", "remediate")
    assert "containment action" in refused.value.message and "/contain isolate-instance" in refused.value.message
    with pytest.raises(UsageError, match="--hours takes a whole number"):
        parse("collect-logs alice --hours 9999", "evidence")
    with pytest.raises(UsageError, match="--share takes the forensics account id"):
        parse(f"collect-disk {INSTANCE} --share nobody", "evidence")
    with pytest.raises(UsageError, match="--from takes an AMI"):
        parse(f"replace-instance {INSTANCE} --from ubuntu", "remediate")


def test_every_precondition_a_spec_names_exists():
    assert {name for spec in SPECS.values() for name in spec.requires} <= set(CHECKS)


def test_requests_are_numbered_by_family_and_timelined_under_their_own_kind(services):
    incident = incidents.declare(services, title="Miner", declared_by=ALICE).incident
    evidence = run(services, incident, f"collect-disk {INSTANCE}", "evidence", "e1")
    assert evidence.state == "succeeded" and evidence.label == f"E{evidence.id}"
    entries = services.incidents.timeline(incident.id)
    assert [e.text.split(":")[0] for e in entries if e.kind == "evidence"] == [
        "Evidence requested", "Evidence approved", "Evidence done"]
    assert contained_at(incident, entries) is None, "collecting evidence is not containing"
    assert evidence_at(incident, entries) is not None
    assert spans(incident, entries, None)["evidence"] is not None


def test_a_remediation_is_refused_until_evidence_of_its_target_is_recorded(services):
    incident = incidents.declare(services, title="Miner", declared_by=ALICE).incident
    with pytest.raises(InvalidTransition) as refused:
        submit(services, incident, f"patch-instance {INSTANCE}", "remediate", "r1")
    assert f"/evidence collect-disk {INSTANCE}" in refused.value.message
    assert services.catalog.planned == [], "nothing is asked of AWS before the precondition holds"
    run(services, incident, "collect-disk i-0fffffffffffffff0", "evidence", "e0")
    with pytest.raises(InvalidTransition):  # evidence of another instance does not count
        submit(services, incident, f"patch-instance {INSTANCE}", "remediate", "r2")
    run(services, incident, f"collect-disk {INSTANCE}", "evidence", "e1")
    request = submit(services, incident, f"patch-instance {INSTANCE}", "remediate", "r3")
    assert request.label == f"R{request.id}" and request.state == "requested"
    assert request.plan["current"][0].startswith("evidence recorded first: E")


def test_lifting_an_isolation_takes_it_out_of_effect_once(services):
    incident = incidents.declare(services, title="Miner", declared_by=ALICE).incident
    with pytest.raises(InvalidTransition, match="nothing to lift"):
        submit(services, incident, f"lift-isolation {INSTANCE}", "remediate", "l0")
    isolation = run(services, incident, f"isolate-instance {INSTANCE}", "contain", "c1")
    assert contained_at(incident, services.incidents.timeline(incident.id)) is not None
    with pytest.raises(InvalidTransition, match="is a recovery step: move the incident to eradication"):
        submit(services, incident, f"lift-isolation {INSTANCE}", "remediate", "l0")
    assert services.repos.containment.get(isolation.id).state == "succeeded"
    incident, _ = incidents.apply(services, incident.id, lambda cur, at: lifecycle.change_phase(
        services.config.incidents, cur, "eradication", ALICE, at), actor=ALICE)
    lift = run(services, incident, f"lift-isolation {INSTANCE}", "remediate", "l1")
    assert lift.state == "succeeded"
    assert lift.plan["current"][:2] == [lift.plan["current"][0], "incident in eradication: the threat was eradicated "
                                        "first"] and lift.plan["current"][0].startswith("isolation in place: C")
    assert services.catalog.applied[-1].context["ends_request"] == isolation.id
    assert services.catalog.applied[-1].context["isolation"] == isolation.memory
    assert services.repos.containment.get(isolation.id).state == "undone"
    with pytest.raises(InvalidTransition, match="nothing to lift"):
        submit(services, incident, f"lift-isolation {INSTANCE}", "remediate", "l2")


def test_replace_and_restore_get_the_facts_only_core_has(services):
    """replace-instance gets the isolation's memory (never its request to end), restore-bucket-
    policy the declaration time and what block-public-s3 remembered."""
    incident = incidents.declare(services, title="Leak", declared_by=ALICE).incident
    isolation = run(services, incident, f"isolate-instance {INSTANCE}", "contain", "c1")
    run(services, incident, f"collect-disk {INSTANCE}", "evidence", "e1")
    replace = submit(services, incident, f"replace-instance {INSTANCE}", "remediate", "r1")
    assert f"{INSTANCE} is isolated by {isolation.label}: the replacement gets the security groups from before " \
           "the isolation (the original stays isolated)" in replace.plan["current"]
    context = services.catalog.planned[-1].context
    assert context["isolation"] == isolation.memory and "ends_request" not in context
    restore = submit(services, incident, "restore-bucket-policy reports", "remediate", "r2")
    assert restore.plan["current"][0].startswith("the policy to restore: AWS Config's history before the compromise")
    assert services.catalog.planned[-1].context["declared_at"] == incident.declared_at.isoformat()


def test_playbook_steps_propose_evidence_and_remediation_under_their_own_key():
    step = Step.model_validate({"evidence": {"action": "collect-disk", "target": "{instance_id}"}})
    assert step.kind == "contain" and step.proposal.action == "collect-disk"
    with pytest.raises(ValueError, match="is a /evidence action: write it under `evidence:`"):
        Step.model_validate({"contain": {"action": "collect-disk", "target": "{instance_id}"}})
    assert command_for("lift-isolation", INSTANCE).family == "remediate"
