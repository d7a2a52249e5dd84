"""Null objects instead of None (core/nulls.py): a process without Slack or an AWS feature gets
the null object of each port it lacks, and behaves as it did when that port was None:
nothing posted, nothing pretended. A reminder that cannot be posted stays due for a clock
that can post it."""

from __future__ import annotations

import dataclasses

import pytest

from composition import build_services, local_workspace
from core.incidents import lifecycle, service as incidents
from core.nulls import (NoAnchor, NoArchive, NoBoard, NoChat, NoDirectory, NoNotices, NoNotifier, NoPager,
                        NoSandbox, NoWorkPool)
from core.scheduling.delivery import Deliverer
from core.scheduling.reminders import UpdateReminders, due_at, key
from store.scheduling.repository import SqlNoticeRepository
from tests.support.scheduling import declare, reminders, with_scheduling

ALICE = "U0ALICE"


def test_a_process_without_slack_or_optional_aws_gets_null_objects_and_none_is_refused(settings, clock):
    services = build_services(settings, clock=clock)
    try:
        for name, null in (("chat", NoChat), ("notifier", NoNotifier), ("notices", NoNotices), ("board", NoBoard),
                           ("directory", NoDirectory), ("archive", NoArchive), ("anchor", NoAnchor),
                           ("pager", NoPager), ("sandbox", NoSandbox), ("executor", NoWorkPool)):
            assert isinstance(getattr(services, name), null), name
        assert not any(getattr(services, f.name) is None for f in dataclasses.fields(services))
    finally:
        services.drain()
    with pytest.raises(TypeError, match="pass a null object .* for chat, notifier"):
        build_services(settings, clock=clock, chat=None, notifier=None)


def test_without_chat_an_incident_has_no_channel_and_its_changes_are_kept(settings, clock):
    services = build_services(settings, clock=clock)
    try:
        incident = incidents.declare(services, title="Miner on web-1", declared_by=ALICE, category="malware",
                                     finding_types=["CryptoCurrency:EC2/BitcoinTool.B"]).incident
        assert (incident.channel_id, incident.summary_ts, incident.announce_ts) == (None, None, None)
        assert incident.playbook == "crypto-mining"  # attached all the same; its checklist waits for a channel
        changed, _ = incidents.apply(services, incident.id, lambda current, at: lifecycle.change_phase(
            services.config.incidents, current, "containment", ALICE, at), actor=ALICE)
        assert changed.phase == "containment" and changed.playbook_state.get("messages") == {}
        assert [e.kind for e in services.incidents.timeline(incident.id)] == ["declared", "playbook", "phase"]
    finally:
        services.drain()


def test_a_reminder_nobody_could_post_stays_due_for_a_clock_that_can(settings, clock):
    ws = local_workspace(with_scheduling(settings), clock=clock, threads=2)
    try:
        incident = declare(ws, "sev1 Miner on build host")
        clock.advance(minutes=30)
        ledger = SqlNoticeRepository(ws.services.db)
        without_chat = UpdateReminders(NoNotices(), Deliverer(ledger, "clock-without-slack", ws.services.clock))
        assert without_chat(ws.services) == 0
        due = key(incident.id, due_at(incident, ws.services.config.scheduling.reminder_every("sev1"), clock.now()))
        assert ledger.states([due]).get(due) != "sent"  # not marked sent: nothing was posted
        assert reminders(ws)(ws.services) == 1  # the clock that has Slack posts it
        assert ledger.states([due]).get(due) == "sent"
    finally:
        ws.stop()
