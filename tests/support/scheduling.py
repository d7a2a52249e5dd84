"""Helpers for clock tests: settings with a scheduling section, incidents declared through
the workspace (so they have a channel), and sweeps run directly under a ManualClock."""

from __future__ import annotations

import dataclasses

from core.scheduling.config import SchedulingConfig
from core.scheduling.delivery import Deliverer
from core.scheduling.reminders import UpdateReminders
from core.scheduling.sla import SlaEscalations
from core.nulls import NoNotices, NoPager
from handlers.app import build_client
from handlers.scheduling.notices import SlackNotices
from store.scheduling.repository import SqlNoticeRepository
from tests.support.slack import settled

SCHEDULING = {"update_reminder_minutes": {"sev1": 30, "sev2": 60},
              "sla": {"sev1": {"acknowledge_minutes": 15, "contain_minutes": 240}},
              "escalation": {"mention": ["S0ONCALL", "U0LEAD"]}}


def with_scheduling(settings, **overrides):
    cfg = SchedulingConfig.model_validate({**SCHEDULING, **overrides})
    return dataclasses.replace(settings, config=settings.config.model_copy(update={"scheduling": cfg}))


def declare(ws, text: str, user: str = "alice"):
    """Declare through /incident in #general and wait for its channel and announcement."""
    before = {i.id for i in ws.services.incidents.recent()}
    ws.sender.command("/incident", f"declare {text}", user=ws.user(user), channel=ws.channel("general"))
    return settled(ws, lambda: next((i for i in ws.services.incidents.recent()
                                    if i.id not in before and i.announce_ts), None))


def notices(ws) -> SlackNotices:
    return SlackNotices(build_client(ws.fake.token, ws.fake.api_url))


def reminders(ws, holder: str = "clock-a") -> UpdateReminders:
    return UpdateReminders(notices(ws), Deliverer(SqlNoticeRepository(ws.services.db), holder, ws.services.clock))


def escalations(ws, pager=None, holder: str = "clock-a", chat: bool = True) -> SlaEscalations:
    return SlaEscalations(notices(ws) if chat else NoNotices(), pager or NoPager(),
                          Deliverer(SqlNoticeRepository(ws.services.db), holder, ws.services.clock))


def posted(ws, incident, marker: str) -> list[dict]:
    """Messages in the incident's channel whose blocks contain `marker` (an emoji name)."""
    return [m for m in ws.fake.messages(incident.channel_id) if marker in str(m.get("blocks"))]
