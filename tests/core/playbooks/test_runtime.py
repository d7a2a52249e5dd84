"""The playbook runtime through core directly (fake chat, shipped playbooks): attaching,
each phase's checklist posted once, ticking steps, and contain steps becoming typed
requests with targets from the incident's findings."""

from __future__ import annotations

import pytest

from core.incidents import service as incidents, lifecycle
from core.containment import service
from core.errors import InvalidTransition, UsageError
from core.findings import triage
from core.findings.pipeline import ingest
from core.playbooks import runtime
from tests.support.fakes import fake_services
from tests.support.findings import finding

ALICE, BOB = "U0ALICE", "U0BOB"
PLAYBOOK = "compromised-ec2-instance"


@pytest.fixture
def services(settings, clock):
    built = fake_services(settings, clock)
    yield built
    built.drain()


def attached(services):
    incident = incidents.declare(services, title="Backdoor on web-1", declared_by=ALICE).incident
    return runtime.attach(services, incident, PLAYBOOK, ALICE)


def checklists(services, phase=None):
    return [c for c in services.chat.calls if c[0] == "checklist" and (phase is None or c[2] == phase)]


def move(services, incident, phase):
    return incidents.apply(services, incident.id, lambda cur, at: lifecycle.change_phase(
        services.config.incidents, cur, phase, ALICE, at), actor=ALICE)[0]


def test_attaching_posts_the_current_phase_checklist_once(services):
    incident = attached(services)
    assert incident.playbook == PLAYBOOK
    assert len(checklists(services, "detection")) == 1
    runtime.post_phase(services, incident, ALICE)
    assert len(checklists(services, "detection")) == 1, "posted once per phase"
    with pytest.raises(InvalidTransition, match="already follows"):
        runtime.attach(services, incident, PLAYBOOK, ALICE)


def test_a_phase_change_posts_that_phases_checklist_and_sends_its_notices(services):
    incident = move(services, attached(services), "containment")
    assert len(checklists(services, "containment")) == 1
    [notice] = [c for c in services.chat.calls if c[0] == "notify"]
    assert "being isolated" in notice[2]
    incident = services.incidents.get(incident.id)
    assert any(e.kind == "playbook_step" and e.text.startswith("Notified:")
               for e in services.incidents.timeline(incident.id))


def test_a_step_is_ticked_once_by_whoever_does_it(services):
    incident = attached(services)
    key = runtime.checklist(services, incident, "detection").steps[0].key
    incident = runtime.complete(services, incident, key, BOB)
    assert incident.playbook_state["done"][key]["by"] == BOB
    assert any(c[0] == "checklist_update" for c in services.chat.calls)
    with pytest.raises(InvalidTransition, match="already done") as again:
        runtime.complete(services, incident, key, ALICE)
    assert again.value.mentions == (BOB,)


def test_a_contain_step_needs_its_target_from_the_findings(services):
    incident = attached(services)
    with pytest.raises(UsageError, match="do not name this step's target yet"):
        runtime.contain_step(services, incident, "isolate")
    ingest(services, [finding(indicators={"instance_id": ["i-0123456789abcdef0"]})])
    triage.link_to_incident(services, services.repos.findings.by_finding_id("f-1").pk, incident.id, ALICE)
    step = runtime.contain_step(services, incident, "isolate")
    assert (step.action, step.target, step.options) == ("isolate-instance", "i-0123456789abcdef0",
                                                        {"snapshot": "true"})


def test_a_contain_step_becomes_a_request_and_a_hostile_target_never_does(services):
    incident = attached(services)
    ingest(services, [finding(indicators={"instance_id": ["i-0123 --region eu-west-1 --account 111122223333"]})])
    triage.link_to_incident(services, services.repos.findings.by_finding_id("f-1").pk, incident.id, ALICE)
    with pytest.raises(UsageError, match="not a valid target"):
        service.from_playbook_step(services, actor=ALICE, incident=incident, step_key="isolate", dedup_key="k1")
    assert services.catalog.planned == []
    assert services.repos.containment.for_incident(incident.id) == []


def test_every_shipped_contain_step_renders_to_a_valid_request(services):
    """Each contain step of each shipped playbook, with a plausible target, parses as a request."""
    from core.containment.parse import command_for

    samples = {"instance_id": "i-0123456789abcdef0", "access_key_id": "AKIAIOSFODNN7EXAMPLE", "ip": "203.0.113.9",
               "bucket": "exposed-bucket", "user": "mallory", "role": "web-role", "function": "miner",
               "principal": "arn:aws:iam::123456789012:user/mallory", "domain": "evil.example"}
    checked = 0
    for playbook in services.playbooks.values():
        for phase in playbook.phases:
            for _, step in playbook.keyed(phase):
                if step.contain is not None:
                    target = step.contain.target.format(**samples)
                    command_for(step.contain.action, target, step.contain.options)
                    checked += 1
    assert checked >= 7
