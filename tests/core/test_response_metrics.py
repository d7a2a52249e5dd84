"""Each response-metric milestone (core.metrics, README "Response metrics") against a timeline
written by core itself under a ManualClock: phases walked back, containment verified or not,
undone before or after eradication, reopened incidents, cancellations and false positives."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.incidents import service as incidents, lifecycle, postmortem, roles
from core import metrics
from core.containment import service
from core.containment.parse import parse
from core.findings.pipeline import ingest
from core.findings.triage import SYSTEM_ACTOR
from core.scheduling import stats
from tests.support.fakes import FakeCatalog, fake_services
from tests.support.findings import finding, tuned

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


@pytest.fixture
def services(settings, clock):
    built = fake_services(settings, clock)
    yield built
    built.drain()


def declare(services, **options):
    return incidents.declare(services, title="Miner on web-1", declared_by=ALICE, **options).incident


def act(services, incident, decide, actor=ALICE):
    cfg = services.config.incidents
    return incidents.apply(services, incident.id, lambda current, at: decide(cfg, current, at), actor=actor)[0]


def phase(services, incident, to, actor=ALICE):
    return act(services, incident, lambda cfg, cur, at: lifecycle.change_phase(cfg, cur, to, actor, at), actor)


def contain(services, incident, text="isolate-instance i-0abc1234", key="k1"):
    """Requested by alice, approved by bob: runs at once on the fake catalog."""
    request = service.submit(services, actor=ALICE, channel=incident.channel_id, command=parse(text), dedup_key=key)
    return service.decide(services, request.id, actor=BOB, approve=True)


def undo(services, incident, request_id, key):
    request = service.submit(services, actor=ALICE, channel=incident.channel_id, command=parse(f"undo {request_id}"),
                             dedup_key=key)
    return service.decide(services, request.id, actor=BOB, approve=True)


def spans(services, incident, first_seen: datetime | None = None):
    """What the postmortem and `/incident stats` show, in minutes (None: n/a)."""
    current = services.incidents.get(incident.id)
    found = metrics.spans(current, services.incidents.timeline(incident.id, limit=None), first_seen)
    return {name: (span.total_seconds() / 60 if span is not None else None) for name, span in found.items()}


def test_detect_runs_from_the_first_finding_seen_to_the_declaration(settings, clock):
    routed = fake_services(tuned(settings, routes=[{"name": "severe", "match": {"min_severity": "high"},
                                                    "action": "declare"}]), clock)
    try:
        clock.advance(minutes=30)  # the finding says it was first seen at the clock's start
        ingest(routed, [finding(id="f-crit", severity="critical", severity_score=95.0)])
        report = stats.build(routed, 30)
        assert report.total.stats["detect"] == (1, timedelta(minutes=30), timedelta(minutes=30))
    finally:
        routed.drain()


def test_acknowledge_is_the_first_act_of_the_person_in_command(settings, clock):
    routed = fake_services(tuned(settings, routes=[{"name": "severe", "match": {"min_severity": "high"},
                                                    "action": "declare"}]), clock)
    try:
        ingest(routed, [finding(id="f-crit", severity="critical", severity_score=95.0)])
        [incident] = routed.incidents.recent()
        assert incident.declared_by == SYSTEM_ACTOR and spans(routed, incident)["acknowledge"] is None
        clock.advance(minutes=3)
        act(routed, incident, lambda cfg, cur, at: lifecycle.note(cfg, cur, "looking", CAROL), CAROL)
        assert spans(routed, incident)["acknowledge"] is None  # a responder, not in command
        clock.advance(minutes=4)
        act(routed, incident, lambda cfg, cur, at: roles.assign(cfg, cur, "commander", BOB, CAROL), CAROL)
        assert spans(routed, incident)["acknowledge"] is None  # handed the role, not yet acting
        clock.advance(minutes=5)
        act(routed, incident, lambda cfg, cur, at: lifecycle.note(cfg, cur, "on it", BOB), BOB)
        assert spans(routed, incident)["acknowledge"] == 12
    finally:
        routed.drain()


def test_a_declarer_in_command_acknowledges_at_once_and_a_pinned_message_is_no_act(services, clock):
    mine = declare(services)
    assert spans(services, mine)["acknowledge"] == 0
    other = incidents.declare(services, title="Odd logins", declared_by=SYSTEM_ACTOR, automated=True).incident
    clock.advance(minutes=2)
    act(services, other, lambda cfg, cur, at: roles.assign(cfg, cur, "commander", BOB, CAROL), CAROL)
    clock.advance(minutes=1)
    # A message of bob's pinned by someone (as core.timeline.pin records it): not bob's act.
    services.incidents.add_timeline(other.id, kind="pin", actor=BOB, text="posted in the channel",
                                    at=clock.now(), data={"ts": "1.0"}, dedup_key="pin:C1:1.0")
    assert spans(services, other)["acknowledge"] is None
    clock.advance(minutes=1)
    phase(services, other, "analysis", BOB)
    assert spans(services, other)["acknowledge"] == 4


def test_a_verified_containment_contains_before_any_phase_says_so(services, clock):
    incident = declare(services)
    phase(services, incident, "analysis")
    clock.advance(minutes=10)
    isolated = contain(services, incident)
    assert isolated.state == "succeeded" and isolated.outcome["verified"] is True
    [done] = [e for e in services.incidents.timeline(incident.id) if e.data.get("step") == "succeeded"]
    assert done.data["verified"] is True and done.data["undo_of"] is None  # the timeline alone decides
    clock.advance(minutes=5)
    contain(services, incident, "disable-access-key AKIAIOSFODNN7EXAMPLE", key="k2")  # the second changes nothing
    clock.advance(minutes=30)
    phase(services, incident, "eradication")
    assert spans(services, incident)["contain"] == 10


def test_an_unverified_containment_does_not_count_but_eradication_does(settings, clock):
    unverified = fake_services(settings, clock, catalog=FakeCatalog(unverified=True))
    try:
        incident = declare(unverified)
        clock.advance(minutes=10)
        assert contain(unverified, incident).outcome["verified"] is False
        assert spans(unverified, incident)["contain"] is None
        clock.advance(minutes=30)
        phase(unverified, incident, "eradication")
        assert spans(unverified, incident)["contain"] == 40
    finally:
        unverified.drain()


def test_walking_a_phase_back_removes_the_milestone_it_no_longer_holds(services, clock):
    incident = declare(services)
    phase(services, incident, "analysis")
    clock.advance(minutes=1)
    phase(services, incident, "recovery")  # by mistake
    assert spans(services, incident)["contain"] == 1
    clock.advance(seconds=48)
    for back in ("eradication", "containment", "analysis"):  # back one step at a time
        phase(services, incident, back)
    assert spans(services, incident)["contain"] is None  # no "Time to contain 48s"
    clock.advance(minutes=60)
    phase(services, incident, "eradication")
    assert spans(services, incident)["contain"] == pytest.approx(61.8)


def test_an_undo_before_eradication_withdraws_the_containment_and_one_after_does_not(services, clock):
    incident = declare(services)
    clock.advance(minutes=5)
    wrong = contain(services, incident, "disable-access-key AKIAWRONGKEY00000001")
    clock.advance(minutes=5)
    # The wrong key: nothing is contained any more. (An isolation cannot be undone before
    # eradication: its undo needs lift-isolation's preconditions.)
    undo(services, incident, wrong.id, "u1")
    assert spans(services, incident)["contain"] is None
    clock.advance(minutes=10)
    right = contain(services, incident, "isolate-instance i-0600d001", key="k2")
    clock.advance(minutes=40)
    phase(services, incident, "eradication")
    clock.advance(minutes=40)
    phase(services, incident, "recovery")
    undo(services, incident, right.id, "u2")  # back in service during recovery: still contained
    assert spans(services, incident)["contain"] == 20


def test_recover_is_the_resolution_that_still_holds(services, clock):
    incident = declare(services)
    clock.advance(hours=2)
    incident = act(services, incident, lambda cfg, cur, at: lifecycle.resolve(cfg, cur, ALICE, at))
    assert spans(services, incident)["recover"] == spans(services, incident)["contain"] == 120
    clock.advance(hours=1)
    incident = act(services, incident, lambda cfg, cur, at: lifecycle.reopen(cfg, cur, ALICE))
    assert spans(services, incident)["recover"] is None and spans(services, incident)["contain"] is None
    clock.advance(hours=1)
    act(services, incident, lambda cfg, cur, at: lifecycle.resolve(cfg, cur, ALICE, at))
    assert spans(services, incident)["recover"] == 240


def test_the_postmortem_shows_the_same_times(services, clock):
    incident = declare(services)
    clock.advance(minutes=7)
    contain(services, incident)
    clock.advance(minutes=53)
    incident = act(services, incident, lambda cfg, cur, at: lifecycle.resolve(cfg, cur, ALICE, at))
    document = postmortem.for_incident(services, incident)
    assert "| Time to contain | 7m |" in document and "| Time to recover | 1h00m |" in document
    assert "Counted in response metrics" not in document


def test_cancelled_and_false_positive_incidents_are_not_measured(services, clock):
    real = declare(services)
    test = incidents.declare(services, title="Testing the bot", declared_by=ALICE).incident
    benign = incidents.declare(services, title="Pen test", declared_by=ALICE).incident
    clock.advance(hours=1)
    act(services, real, lambda cfg, cur, at: lifecycle.resolve(cfg, cur, ALICE, at))
    test = act(services, test, lambda cfg, cur, at: lifecycle.cancel(cfg, cur, "just a test", ALICE, at))
    benign = act(services, benign, lambda cfg, cur, at: lifecycle.resolve(cfg, cur, ALICE, at, false_positive=True,
                                                                          reason="red team exercise"))
    assert (test.phase, test.resolution, test.resolution_reason) == ("closed", "cancelled", "just a test")
    assert (benign.phase, benign.resolution) == ("post-incident", "false-positive")
    report = stats.build(services, 30)
    assert report.total.count == 1 and report.total.stats["recover"][0] == 1
    assert {kind: [i.id for i in found] for kind, found in report.excluded.items()} == {
        "cancelled": [test.id], "false-positive": [benign.id]}
    text = stats.render(report)
    assert text.splitlines()[0].endswith(": 3")
    assert f"Not counted in the metrics: 1 cancelled ({test.label}); 1 false positive ({benign.label})." in text
    assert "| Counted in response metrics | no (false positive) |" in postmortem.for_incident(services, benign)


def test_a_verified_containment_meets_the_contain_sla_without_a_phase_change(settings, clock):
    """The SLA check and the metrics agree: containment that succeeded and was verified counts."""
    from core.incidents import service as incidents
    from core.containment import service
    from core.containment.parse import parse
    from core.scheduling.delivery import Deliverer
    from core.scheduling.sla import SlaEscalations
    from tests.support.fakes import RecordingNotices, fake_services
    from tests.support.scheduling import with_scheduling

    services = fake_services(with_scheduling(settings), clock)
    try:
        incident = incidents.declare(services, title="Miner", declared_by="U0ALICE", severity="sev1").incident
        request = service.submit(services, actor="U0ALICE", channel=incident.channel_id,
                                 command=parse("block-public-s3 exposed-bucket"), dedup_key="k1")
        assert service.decide(services, request.id, actor="U0BOB", approve=True).state == "succeeded"
        clock.advance(minutes=241)
        notices = RecordingNotices()
        SlaEscalations(notices, None, Deliverer(services.repos.notices, "clock-a", clock))(services)
        assert [n.sla for kind, n in notices.sent if kind == "escalate"] == []
    finally:
        services.drain()
