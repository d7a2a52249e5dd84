"""Postmortem-due and overdue action-item reminders under a ManualClock, against the fake Slack."""

from datetime import date

import pytest

from core.incidents import action_items
from core.scheduling.delivery import Deliverer
from core.scheduling.review import ReviewReminders
from composition import local_workspace
from store.scheduling.repository import SqlNoticeRepository
from tests.support.scheduling import declare, notices, posted, with_scheduling
from tests.support.slack import settled


@pytest.fixture
def ws(settings, clock):
    workspace = local_workspace(with_scheduling(settings, postmortem_due_days=2), clock=clock, threads=2)
    yield workspace
    workspace.stop()


def sweep(ws):
    return ReviewReminders(notices(ws), Deliverer(SqlNoticeRepository(ws.services.db), "clock-a", ws.services.clock))


def test_postmortem_reminder_after_the_due_days_daily_until_written(ws, clock):
    incident = declare(ws, "sev2 Key leak")
    ws.sender.command("/incident", "resolve", user=ws.user("alice"), channel=incident.channel_id)
    settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "post-incident")
    clock.advance(days=2, minutes=-1)
    assert sweep(ws)(ws.services) == 0
    clock.advance(minutes=1)
    assert sweep(ws)(ws.services) == 1
    [message] = posted(ws, incident, ":scroll:")
    assert f"<@{ws.user('alice')}>" in str(message["blocks"]) and "/incident postmortem" in str(message["blocks"])
    clock.advance(hours=1)
    assert sweep(ws)(ws.services) == 0  # once a day
    clock.advance(days=1)
    assert sweep(ws)(ws.services) == 1
    from core.incidents import postmortem

    postmortem.save_answers(ws.services, ws.services.incidents.get(incident.id), {"summary": "done"},
                            ws.user("alice"))
    clock.advance(days=1)
    assert sweep(ws)(ws.services) == 0  # written: no more reminders


def test_overdue_action_items_remind_their_owner(ws, clock):
    incident = declare(ws, "sev3 Open port")
    bob = ws.user("bob")
    item = action_items.add(ws.services, ws.services.incidents.get(incident.id), text="Close <!channel> port 22",
                            owner=bob, due=date.fromordinal(clock.now().date().toordinal() + 1),
                            actor=ws.user("alice"))
    assert sweep(ws)(ws.services) == 0
    clock.advance(days=2)
    assert sweep(ws)(ws.services) == 1
    [message] = posted(ws, incident, ":dart:")
    text = str(message["blocks"])
    assert f"<@{bob}>" in text and f"#{item.id}" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    action_items.complete(ws.services, item.id, bob)
    clock.advance(days=1)
    assert sweep(ws)(ws.services) == 0
