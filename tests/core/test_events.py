"""Domain events (core/events.py): the publisher delivers each event to the subscribers of its
type, in order, synchronously (inside the publisher's unit of work); and the subscriptions
the composition root wires are reached once per declaration and change."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import get_args

import pytest

from composition.events import publisher as wired
from core.errors import InvalidTransition
from core.events import Event, IncidentChanged, IncidentDeclared, Publisher
from core.incidents import lifecycle, service as incidents
from core.incidents.model import Incident, Mutation, TimelineEntry
from tests.support.fakes import fake_services

ALICE, BOB = "U0ALICE", "U0BOB"


def _incident(services) -> Incident:
    return incidents.declare(services, title="Miner on web-1", declared_by=ALICE).incident


def test_each_subscriber_sees_the_events_of_its_type_in_subscription_order(settings, clock):
    services = fake_services(settings, clock)
    try:
        incident = _incident(services)
    finally:
        services.drain()
    seen = []
    publisher = Publisher({IncidentDeclared: [lambda s, e: seen.append(("first", e)),
                                              lambda s, e: seen.append(("second", e))],
                           IncidentChanged: [lambda s, e: seen.append(("changed", e))]})
    declared, changed = IncidentDeclared(incident, ALICE), IncidentChanged(incident, (), ALICE)
    publisher.publish(services, declared)
    publisher.publish(services, changed)
    publisher.publish(services, IncidentDeclared(incident, BOB))
    assert [(who, e.declared_by if isinstance(e, IncidentDeclared) else "-") for who, e in seen] == [
        ("first", ALICE), ("second", ALICE), ("changed", "-"), ("first", BOB), ("second", BOB)]
    assert seen[0][1] is declared and seen[2][1] is changed  # the very event, no copy
    assert Publisher().subscribers(IncidentDeclared) == ()


def test_a_subscribers_error_reaches_the_publisher_and_stops_the_later_ones(settings, clock):
    calls = []

    def refuse(services, event):
        calls.append("refuse")
        raise InvalidTransition("no")

    publisher = Publisher({IncidentChanged: [lambda s, e: calls.append("before"), refuse,
                                             lambda s, e: calls.append("after")]})
    with pytest.raises(InvalidTransition):
        publisher.publish(None, IncidentChanged(None, (), ALICE))  # type: ignore[arg-type]
    assert calls == ["before", "refuse"]


def test_subscribers_run_inside_the_publishers_transaction(settings, clock):
    """Published under the incident's row lock (inside `decide`), a subscriber runs in that same
    transaction: it sees the incident as locked, before the change commits, and its refusal
    rolls the change back; without the refusal the change commits after the subscriber ran."""
    services = fake_services(settings, clock)
    try:
        incident = _incident(services)
        seen = []

        def committed_title(services_, event):
            seen.append((event.incident.title, services.incidents.get(incident.id).title))

        def refuse(services_, event):
            raise InvalidTransition("not this one")

        for subscribers, title in (([committed_title, refuse], "Refused title"), ([committed_title], "New title")):
            publisher = Publisher({IncidentChanged: subscribers})

            def decide(current: Incident, at, title=title) -> Mutation:
                publisher.publish(services, IncidentChanged(current, (), ALICE))
                return Mutation(changes={"title": title})

            try:
                services.incidents.mutate(incident.id, decide, clock.now)
            except InvalidTransition:
                pass
        assert services.incidents.get(incident.id).title == "New title"  # the refused change was rolled back
        assert seen == [("Miner on web-1", "Miner on web-1")] * 2  # both ran before their change committed
    finally:
        services.drain()


def _spied(calls: list):
    """The root's subscriptions, each recording (event type, subscriber, incident id) when it runs."""
    def spy(kind, subscriber):
        def recorded(services, event):
            calls.append((kind.__name__, f"{subscriber.__module__}.{subscriber.__name__}",
                          getattr(getattr(event, "incident", None), "id", None)))
            subscriber(services, event)
        return recorded

    real = wired()
    return Publisher({kind: [spy(kind, s) for s in real.subscribers(kind)] for kind in get_args(Event)})


def test_declaring_an_incident_reaches_each_subscriber_once(settings, clock):
    calls: list = []
    services = fake_services(settings, clock, events=_spied(calls))
    try:
        first = incidents.declare(services, title="Crypto miner on web-1", declared_by=ALICE, category="malware",
                                  finding_types=["CryptoCurrency:EC2/BitcoinTool.B"], dedup_key="trigger-1")
        again = incidents.declare(services, title="Crypto miner on web-1", declared_by=ALICE,
                                  dedup_key="trigger-1")  # Slack retried the same request
    finally:
        services.drain()
    assert first.created and not again.created
    declared = [c for c in calls if c[0] == "IncidentDeclared"]
    assert declared == [("IncidentDeclared", name, first.incident.id) for name in (
        "composition.events.counted", "core.playbooks.runtime.on_declared",
        "core.communications.regulatory.on_declared", "core.communications.hooks.on_declared")]
    # The playbook followed (its attach is a change, published once), and only once.
    assert first.incident.playbook == "crypto-mining"
    assert [e.kind for e in services.incidents.timeline(first.incident.id)].count("playbook") == 1
    assert [c[1] for c in calls if c[0] == "IncidentChanged"] == [
        "composition.events.counted", "core.audit.service.on_incident_changed",
        "core.communications.regulatory.on_changed", "core.communications.hooks.on_changed",
        "core.incidents.updates.show", "core.drills.runner.on_incident_changed", "core.playbooks.runtime.on_changed"]


def test_a_phase_change_reaches_each_subscriber_once_in_the_order_wired(settings, clock):
    calls: list = []
    services = fake_services(settings, clock, events=_spied(calls))
    try:
        incident = incidents.declare(services, title="Miner", declared_by=ALICE, category="malware",
                                     finding_types=["CryptoCurrency:EC2/BitcoinTool.B"]).incident
        calls.clear()
        services.chat.calls.clear()
        changed, _ = incidents.apply(services, incident.id, lambda current, at: lifecycle.change_phase(
            services.config.incidents, current, "containment", ALICE, at), actor=ALICE)
    finally:
        services.drain()
    assert [c[1] for c in calls] == [
        "composition.events.counted", "core.audit.service.on_incident_changed",
        "core.communications.regulatory.on_changed", "core.communications.hooks.on_changed",
        "core.incidents.updates.show", "core.drills.runner.on_incident_changed", "core.playbooks.runtime.on_changed"]
    # Shown in the channel first, then the new phase's checklist: once each.
    assert [k for k in services.chat.kinds() if k in ("refresh", "entry", "checklist")] == [
        "refresh", "entry", "checklist"]
    assert changed.phase == "containment" and "containment" in changed.playbook_state["messages"]


def test_an_incident_change_says_what_changed():
    def entry(kind, **data):
        return TimelineEntry(1, 1, datetime(2026, 1, 1, tzinfo=timezone.utc), kind, ALICE, kind, data)

    def changed(*entries):
        return IncidentChanged(None, entries, ALICE).changed  # type: ignore[arg-type]

    assert changed(entry("severity", previous="sev3", severity="sev1")) == {"severity"}
    assert changed(entry("role", role="commander"), entry("status_update")) == {"roles", "status"}
    assert changed(entry("phase", previous="analysis", phase="post-incident")) == {"phase", "resolved"}
    assert changed(entry("phase", previous="post-incident", phase="closed")) == {"phase", "closed"}
    assert changed(entry("phase", previous="analysis", phase="closed", resolution="cancelled")) == {
        "phase", "closed", "cancelled"}
    assert changed(entry("phase", previous="closed", phase="analysis")) == {"phase", "reopened"}
    assert changed(entry("note")) == {"note"} and not IncidentChanged(None, (entry("note"),), ALICE).phase_changed
