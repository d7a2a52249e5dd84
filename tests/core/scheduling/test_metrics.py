"""Response metrics on known data: each definition, the SLA breach rule, and the summaries."""

from datetime import datetime, timedelta, timezone

from core.metrics import (acknowledged_at, contained_at, detect_time, group, human, measure, recovered_at,
                          summarize)
from core.incidents.model import Incident, TimelineEntry

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def incident(id=1, *, severity="sev1", category="malware", phase="analysis", declared_by="UALICE", roles=None,
             phase_times=None):
    return Incident(id=id, title="t", severity=severity, category=category, phase=phase, declared_by=declared_by,
                    declared_at=T0, updated_at=T0, phase_times=phase_times or {"detection": T0.isoformat()},
                    roles={"commander": declared_by} if roles is None else roles)


def entry(n, minutes, actor, kind="note", **data):
    return TimelineEntry(id=n, incident_id=1, at=T0 + timedelta(minutes=minutes), kind=kind, actor=actor, text="",
                         data=data)


def test_a_person_who_declares_and_commands_acknowledges_at_once():
    assert acknowledged_at(incident(), [entry(1, 0, "UALICE", "declared")]) == T0


def test_an_auto_declared_incident_waits_for_a_person_in_command():
    auto = incident(declared_by="firebreak", roles={"commander": "UBOB"})
    entries = [entry(1, 0, "firebreak", "declared"),
               entry(2, 3, "UCAROL"),  # a responder, not in command
               entry(3, 5, "UCAROL", "role", role="commander", previous="firebreak", user="UBOB"),
               entry(4, 9, "UBOB"),  # the commander's first action
               entry(5, 12, "UBOB")]
    assert acknowledged_at(auto, entries) == T0 + timedelta(minutes=9)


def test_taking_the_commander_role_is_an_acknowledgement():
    auto = incident(declared_by="firebreak", roles={"commander": "UBOB"})
    entries = [entry(1, 0, "firebreak", "declared"),
               entry(2, 7, "UBOB", "role", role="commander", previous="firebreak", user="UBOB")]
    assert acknowledged_at(auto, entries) == T0 + timedelta(minutes=7)


def test_the_bot_never_acknowledges_and_no_commander_means_not_acknowledged():
    assert acknowledged_at(incident(declared_by="firebreak"), [entry(1, 0, "firebreak", "declared")]) is None
    assert acknowledged_at(incident(roles={}), [entry(1, 0, "UALICE", "declared")]) is None


def phase(n, minutes, to, previous="analysis"):
    return entry(n, minutes, "UALICE", "phase", previous=previous, phase=to)


def test_contained_and_recovered_are_the_phases_reached_that_still_hold():
    entries = [phase(1, 60, "containment"), phase(2, 120, "eradication"), phase(3, 180, "recovery"),
               phase(4, 300, "post-incident")]
    done = incident(phase="post-incident")
    assert contained_at(done, entries) == T0 + timedelta(hours=2)
    assert recovered_at(done, entries) == T0 + timedelta(hours=5)
    started = incident(phase="containment")
    assert contained_at(started, entries[:1]) is None and recovered_at(started, entries[:1]) is None
    resolved_early = [phase(1, 20, "post-incident")]
    assert contained_at(done, resolved_early) == recovered_at(done, resolved_early) == T0 + timedelta(minutes=20)


def test_without_the_timeline_only_a_phase_held_now_counts():
    times = {"detection": T0.isoformat(), "eradication": (T0 + timedelta(hours=2)).isoformat()}
    assert contained_at(incident(phase="recovery", phase_times=times)) == T0 + timedelta(hours=2)
    assert contained_at(incident(phase="analysis", phase_times=times)) is None  # walked back


def test_detect_needs_a_linked_finding_seen_before_the_declaration():
    assert detect_time(incident(), T0 - timedelta(minutes=42)) == timedelta(minutes=42)
    assert detect_time(incident(), None) is None
    assert detect_time(incident(), T0 + timedelta(minutes=1)) is None


def test_breaches_count_late_milestones_and_unmet_ones_past_the_limit():
    limits = {"acknowledge": timedelta(minutes=15), "contain": timedelta(hours=4)}
    late = measure(incident(roles={}), [entry(1, 0, "UALICE", "declared")], None, limits, T0 + timedelta(hours=1))
    assert late.spans["acknowledge"] is None and late.breaches == {"acknowledge"}
    young = measure(incident(roles={}), [], None, limits, T0 + timedelta(minutes=10))
    assert young.breaches == frozenset()
    no_limits = measure(incident(roles={}), [], None, {"acknowledge": None}, T0 + timedelta(days=9))
    assert no_limits.breaches == frozenset()


def _measured(id, severity, category, ack_minutes, contain_hours, first_seen_minutes=None):
    inc = incident(id, severity=severity, category=category, declared_by="firebreak", roles={"commander": "UBOB"})
    entries = [entry(1, 0, "firebreak", "declared"), entry(2, ack_minutes, "UBOB")]
    if contain_hours is not None:
        entries.append(phase(3, contain_hours * 60, "eradication"))
    seen = T0 - timedelta(minutes=first_seen_minutes) if first_seen_minutes is not None else None
    return measure(inc, entries, seen, {"acknowledge": timedelta(minutes=15), "contain": timedelta(hours=4)},
                   T0 + timedelta(days=1))


def test_summaries_give_count_mean_median_and_breaches_per_group():
    measured = [_measured(1, "sev1", "malware", 10, 1, 30), _measured(2, "sev1", "malware", 20, 3),
                _measured(3, "sev1", "other", 60, 5, 90), _measured(4, "sev2", "other", 5, None)]
    total = summarize(measured, "all")
    assert total.count == 4
    assert total.stats["acknowledge"] == (4, timedelta(minutes=23, seconds=45), timedelta(minutes=15))
    assert total.stats["detect"] == (2, timedelta(minutes=60), timedelta(minutes=60))
    assert total.stats["contain"] == (3, timedelta(hours=3), timedelta(hours=3))
    assert total.stats["recover"] is None
    # acknowledge: #2 and #3 late; contain: #3 late, #4 not contained a day later
    assert total.breaches == {"acknowledge": 2, "contain": 2}
    by_severity = group(measured, lambda i: i.severity, ["sev1", "sev2", "sev3"])
    assert [(s.label, s.count) for s in by_severity] == [("sev1", 3), ("sev2", 1)]
    assert by_severity[0].stats["acknowledge"] == (3, timedelta(minutes=30), timedelta(minutes=20))
    by_category = group(measured, lambda i: i.category, ["other", "malware"])
    assert [(s.label, s.count, s.breaches["contain"]) for s in by_category] == [("other", 2, 2), ("malware", 2, 0)]


def test_durations_read_compactly():
    assert [human(timedelta(seconds=s)) for s in (0, 45, 60 * 12, 3600 * 3 + 300, 3600 * 52)] == \
        ["0s", "45s", "12m", "3h05m", "2d04h"]
