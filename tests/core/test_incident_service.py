"""The incident lifecycle through core directly (fakes for chat, a ManualClock): what a
responder sees change, decided without Slack or HTTP in the way."""

from __future__ import annotations

import dataclasses

import pytest

from core.incidents import service as incidents, lifecycle, roles
from core.errors import InvalidTransition, PermissionDenied, UsageError
from tests.support.fakes import FakeChat, fake_services

ALICE, BOB, EVE = "U0ALICE", "U0BOB", "U0EVE"


@pytest.fixture
def services(settings, clock):
    built = fake_services(settings, clock)
    yield built
    built.drain()


def declare(services, title="Miner on web-1", **options):
    return incidents.declare(services, title=title, declared_by=ALICE, **options).incident


def change(services, incident, decide, actor=ALICE):
    return incidents.apply(services, incident.id, lambda current, at: decide(services.config.incidents, current, at),
                           actor=actor)


def test_declare_gives_a_channel_a_summary_an_announcement_and_a_commander(services):
    incident = declare(services, severity="sev2")
    chat = services.chat
    assert chat.channels[incident.channel_id]["name"] == "inc-001-miner-on-web-1"
    assert ALICE in chat.channels[incident.channel_id]["members"]
    assert {"summary", "announce", "describe"} <= set(chat.kinds())
    assert incident.summary_ts and incident.announce_ts
    assert incident.roles == {"commander": ALICE} and incident.severity == "sev2"
    [entry] = services.incidents.timeline(incident.id)
    assert entry.text == "Incident declared: Miner on web-1"


def test_the_same_request_declares_once(services):
    first = incidents.declare(services, title="t", declared_by=ALICE, dedup_key="slack:trigger-1")
    again = incidents.declare(services, title="t", declared_by=ALICE, dedup_key="slack:trigger-1")
    assert first.created and not again.created and again.incident.id == first.incident.id
    assert services.incidents.count() == 1


def test_a_taken_channel_name_gets_the_next_suffix(settings, clock):
    services = fake_services(settings, clock, chat=FakeChat(taken=("inc-001-root-login",)))
    try:
        assert declare(services, "Root login").channel_name == "inc-001-root-login-2"
    finally:
        services.drain()


def test_bad_titles_and_severities_are_refused_before_anything_is_stored(services):
    with pytest.raises(UsageError, match="needs a title"):
        declare(services, "   ")
    with pytest.raises(UsageError, match="Unknown severity"):
        declare(services, severity="sev9")
    assert services.incidents.count() == 0 and services.chat.calls == []


def test_phases_move_forward_back_one_step_and_record_when(services, clock):
    incident = declare(services)
    clock.advance(minutes=5)
    incident, [entry] = change(services, incident, lambda cfg, cur, at: lifecycle.change_phase(
        cfg, cur, "containment", ALICE, at))
    assert incident.phase == "containment" and "containment" in entry.text
    assert incident.phase_times["containment"] == clock.now().isoformat()
    with pytest.raises(InvalidTransition) as refused:
        change(services, incident, lambda cfg, cur, at: lifecycle.change_phase(cfg, cur, "detection", ALICE, at))
    assert "analysis" in refused.value.message  # the allowed moves are listed
    incident, _ = change(services, incident, lambda cfg, cur, at: lifecycle.change_phase(
        cfg, cur, "analysis", ALICE, at))
    assert incident.phase == "analysis"
    assert ("refresh", incident.id, "analysis", incident.severity) in services.chat.calls


def test_close_only_after_resolve_and_reopen_after_either(services, clock):
    incident = declare(services)
    with pytest.raises(InvalidTransition):
        change(services, incident, lambda cfg, cur, at: lifecycle.close(cfg, cur, ALICE, at))
    incident, _ = change(services, incident, lambda cfg, cur, at: lifecycle.resolve(cfg, cur, ALICE, at))
    assert incident.phase == "post-incident"
    clock.advance(hours=1)
    incident, _ = change(services, incident, lambda cfg, cur, at: lifecycle.close(cfg, cur, ALICE, at))
    assert incident.phase == "closed"
    incident, _ = change(services, incident, lambda cfg, cur, _at: lifecycle.reopen(cfg, cur, ALICE))
    assert incident.phase != "closed"


def test_role_changes_name_who_had_it_and_mention_only_those_people(services):
    incident = declare(services)
    incident, [entry] = change(services, incident, lambda cfg, cur, _at: roles.assign(cfg, cur, "commander", BOB, ALICE))
    assert incident.roles["commander"] == BOB
    assert entry.text == "commander: {@U0ALICE} → {@U0BOB}"  # core's neutral mention tokens, no Slack markup
    assert (entry.data["previous"], entry.data["user"]) == (ALICE, BOB)


def test_only_configured_roles_change_severity_once_someone_holds_one(settings, clock):
    cfg = settings.config
    restricted = dataclasses.replace(settings, config=cfg.model_copy(update={"incidents": cfg.incidents.model_copy(
        update={"permissions": {"severity": ["commander"]}})}))
    services = fake_services(restricted, clock)
    try:
        incident = declare(services)
        with pytest.raises(PermissionDenied, match="commander"):
            change(services, incident, lambda c, cur, _at: lifecycle.set_severity(c, cur, "sev1", BOB), actor=BOB)
        incident, _ = change(services, incident, lambda c, cur, _at: lifecycle.set_severity(c, cur, "sev1", ALICE))
        assert incident.severity == "sev1"
    finally:
        services.drain()


def test_people_outside_the_responder_list_can_do_nothing(settings, clock):
    cfg = settings.config
    listed = dataclasses.replace(settings, config=cfg.model_copy(update={"access": cfg.access.model_copy(
        update={"responders": [ALICE]})}))
    services = fake_services(listed, clock)
    try:
        incident = declare(services)
        with pytest.raises(PermissionDenied):
            incidents.declare(services, title="x", declared_by=EVE)
        with pytest.raises(PermissionDenied):
            change(services, incident, lambda c, cur, _at: lifecycle.note(c, cur, "hi", EVE), actor=EVE)
        assert len(services.incidents.timeline(incident.id)) == 1
    finally:
        services.drain()


def test_a_note_is_timed_by_the_clock(services, clock):
    incident = declare(services)
    clock.advance(minutes=7)
    _, [entry] = change(services, incident, lambda cfg, cur, _at: lifecycle.note(cfg, cur, "saw <!here> beacons", ALICE))
    assert entry.at == clock.now() and entry.text == "saw <!here> beacons"
