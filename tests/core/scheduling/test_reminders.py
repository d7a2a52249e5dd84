"""Status-update reminders under a ManualClock against the fake Slack: the cadence per
severity, the reset by `/incident update`, escaping, and no loss or doubling across
restarts, a dead clock's claim and a Slack failure."""

import re
from datetime import timedelta

import pytest

from core.scheduling.reminders import key
from composition import local_workspace
from store.scheduling.repository import SqlNoticeRepository
from tests.support.scheduling import declare, posted, reminders, with_scheduling
from tests.support.slack import mrkdwn_of

ALARM = ":alarm_clock:"


@pytest.fixture
def ws(settings, clock):
    workspace = local_workspace(with_scheduling(settings), clock=clock, threads=2)
    yield workspace
    workspace.stop()


def test_the_commander_is_reminded_at_the_cadence_and_an_update_resets_it(ws, clock):
    incident = declare(ws, "sev1 Miner on build host")
    sweep = reminders(ws)
    clock.advance(minutes=29)
    assert sweep(ws.services) == 0
    clock.advance(minutes=1)
    assert sweep(ws.services) == 1
    [message] = posted(ws, incident, ALARM)
    assert f"<@{ws.user('alice')}>" in message["blocks"][0]["text"]["text"]
    assert "no status update for *30m*" in message["blocks"][0]["text"]["text"]
    clock.advance(minutes=20)
    assert sweep(ws.services) == 0  # the same reminder is not sent twice
    clock.advance(minutes=10)
    assert sweep(ws.services) == 1 and len(posted(ws, incident, ALARM)) == 2  # 60 minutes without an update

    clock.advance(minutes=10)
    ws.sender.command("/incident", "update Host isolated", user=ws.user("alice"), channel=incident.channel_id)
    ws.fake.wait_for("chat.postMessage", lambda c: "Host isolated" in str(c.body))
    clock.advance(minutes=29)
    assert sweep(ws.services) == 0
    clock.advance(minutes=1)
    assert sweep(ws.services) == 1
    assert "no status update for *30m*" in posted(ws, incident, ALARM)[-1]["blocks"][0]["text"]["text"]


def test_titles_are_escaped_and_nobody_is_pinged_by_them(ws, clock):
    incident = declare(ws, "sev2 Bad &lt;!channel&gt; &amp; &lt;b&gt;")  # as Slack sends what was typed
    clock.advance(minutes=60)
    assert reminders(ws)(ws.services) == 1
    [message] = posted(ws, incident, ALARM)
    shown = mrkdwn_of(message)
    assert "<!channel>" not in shown and "Bad &lt;!channel&gt; &amp; &lt;b&gt;" in shown
    assert set(re.findall(r"<[@!][^>]*>", shown)) == {f"<@{ws.user('alice')}>"}  # only the commander


def test_no_reminders_without_a_cadence_or_once_resolved(ws, clock):
    quiet = declare(ws, "sev4 Hygiene finding")
    resolved = declare(ws, "sev1 False alarm")
    ws.sender.command("/incident", "resolve", user=ws.user("alice"), channel=resolved.channel_id)
    ws.fake.wait_for("chat.update", lambda c: "post-incident" in str(c.body))
    clock.advance(hours=5)
    assert reminders(ws)(ws.services) == 0
    assert posted(ws, quiet, ALARM) == posted(ws, resolved, ALARM) == []


def test_a_restarted_or_second_clock_sends_nothing_twice(ws, clock):
    incident = declare(ws, "sev1 Leaked key")
    clock.advance(minutes=30)
    assert reminders(ws, holder="clock-a")(ws.services) == 1
    assert reminders(ws, holder="clock-b")(ws.services) == 0  # after a failover or a restart
    assert len(posted(ws, incident, ALARM)) == 1


def test_a_dead_clocks_claim_is_taken_over_after_it_goes_stale(ws, clock):
    incident = declare(ws, "sev1 Leaked key")
    clock.advance(minutes=30)
    assert SqlNoticeRepository(ws.services.db).claim(key(incident.id, clock.now()), incident.id, "dead-clock", clock.now(),
                                              timedelta(minutes=5))
    assert reminders(ws)(ws.services) == 0  # claimed by a clock that may still be sending it
    clock.advance(minutes=5)
    assert reminders(ws)(ws.services) == 1
    assert len(posted(ws, incident, ALARM)) == 1


def test_a_slack_failure_is_retried_by_the_next_sweep(ws, clock):
    incident = declare(ws, "sev1 Leaked key")
    clock.advance(minutes=30)
    ws.fake.fail("chat.postMessage", "fatal_error")
    assert reminders(ws)(ws.services) == 0
    assert posted(ws, incident, ALARM) == []
    assert reminders(ws)(ws.services) == 1
    assert len(posted(ws, incident, ALARM)) == 1
