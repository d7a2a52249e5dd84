"""The stakeholder plan applied by core (fakes for chat, email and paging; the real
database): who is told at declaration, severity change, status update and resolution, what
a private incident withholds, what is on the timeline, and who is still due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.incidents import service as incidents, lifecycle
from core.communications import paging, regulatory, service
from core.communications.ports import PageFailed
from tests.support.communications import (RecordingEmail, RecordingPaging, RecordingStakeholderChat,
                                          recording_outreach, with_communications)
from tests.support.fakes import fake_services

TOPIC = "arn:aws:sns:us-east-1:123456789012:mgmt"
PLAN = {
    "audiences": {
        "leads": {"slack_channels": ["C0LEADS"], "may_see_private": True,
                  "pager": {"type": "pagerduty", "routing_key_env": "PD_LEADS"}},
        "management": {"slack_users": ["U0BOSS"], "sns_topic_arn": TOPIC},
        "legal": {"slack_users": ["S0LEGAL"]},
    },
    "rules": [
        {"when": ["declared", "resolved"], "severities": ["sev1", "sev2"], "notify": ["leads"]},
        {"when": ["severity", "status_update"], "severities": ["sev1"], "notify": ["management"]},
        {"when": ["declared"], "categories": ["data-exposure"], "notify": ["legal"]},
        {"when": ["severity"], "severities": ["sev1"], "page": ["leads"]},
    ],
    "regulatory": {"enabled": True, "clocks": [
        {"regime": "gdpr", "name": "GDPR Art. 33", "categories": ["data-exposure"], "deadline_hours": 72},
        {"regime": "sec", "name": "SEC 8-K", "categories": ["data-exposure"], "start": "determination",
         "business_days": 4}]},
}


@pytest.fixture
def parts():
    return dict(chat=RecordingStakeholderChat(), email=RecordingEmail(), paging=RecordingPaging())


@pytest.fixture
def services(settings, clock, parts):
    return fake_services(with_communications(settings, PLAN), clock, outreach=recording_outreach(**parts))


def declare(services, severity="sev2", category=None, private=False, title="Keys leaked in a public repo"):
    return incidents.declare(services, title=title, declared_by="U0ALICE", severity=severity, category=category,
                             private=private).incident


def change(services, incident, decide):
    return incidents.apply(services, incident.id, decide, actor="U0ALICE")


def test_declaration_and_severity_change_follow_the_plan(services, parts):
    incident = declare(services)
    assert [(m.audience, m.trigger, ch) for m, ch, _ in parts["chat"].sent] == [("leads", "declared", ("C0LEADS",))]
    message = parts["chat"].sent[0][0]
    assert message.headline == f"Incident {incident.label}: Keys leaked in a public repo"
    assert message.phase == "detection" and "sev2" in message.impact
    assert message.next_update.startswith("by ")  # sev2 has an update cadence in the shipped config

    change(services, incident, lambda cur, at: lifecycle.set_severity(services.config.incidents, cur, "sev1", "U0ALICE"))
    assert [m.audience for m, _, _ in parts["chat"].sent] == ["leads", "management"]
    assert parts["email"].published[0][0] == TOPIC and "Keys leaked" in parts["email"].published[0][2]
    assert [(kind, e.action, e.dedup_key) for kind, e in parts["paging"].events] == [
        ("pagerduty", "trigger", f"firebreak-{incident.id}-leads")]
    told = [e for e in services.incidents.timeline(incident.id) if e.kind == "stakeholder_notice"]
    assert [e.data["audience"] for e in told] == ["leads", "management"]
    assert told[1].text.startswith("Told management (severity change)")


def test_status_updates_and_resolution_and_the_stakeholders_view(services, parts):
    incident = declare(services, severity="sev1")
    cfg = services.config.incidents
    change(services, incident, lambda cur, at: lifecycle.status_update(cfg, cur, "Keys rotated", "U0ALICE", at))
    assert parts["chat"].sent[-1][0].text == "Keys rotated" and parts["chat"].sent[-1][0].audience == "management"
    parts["chat"].fail = "Slack is down"
    change(services, incident, lambda cur, at: lifecycle.resolve(cfg, cur, "U0ALICE", at))
    report = service.stakeholders(services, services.incidents.get(incident.id))
    assert [(o.audience, o.trigger, o.state) for o in report.owed] == [
        ("leads", "declared", "sent"), ("management", "status_update", "sent"), ("leads", "resolved", "failed")]
    assert report.owed[-1].state == "failed" and "Slack is down" in report.owed[-1].record.detail["errors"][0]
    assert report.upcoming == []  # resolved: nothing more is planned


def test_a_private_incident_never_shows_its_title_to_audiences_that_may_not_see_it(services, parts):
    incident = declare(services, severity="sev1", category="data-exposure", private=True,
                       title="HR laptop with payroll data stolen")
    by_audience = {m.audience: m for m, _, _ in parts["chat"].sent}
    assert "payroll" in by_audience["leads"].headline  # may_see_private
    legal = by_audience["legal"]
    assert legal.headline == f"Private incident {incident.label}" and legal.channel_id is None
    assert "payroll" not in legal.plain() and "data-exposure" not in legal.plain()
    manual = service.compose(services, incident, "management", "manual")
    assert "payroll" not in manual.plain()


def test_a_manual_notification_is_sent_once_per_key(services, parts):
    incident = declare(services, severity="sev3")
    assert parts["chat"].sent == []  # sev3 is not in the plan
    first = service.notify(services, incident, "management", actor="U0ALICE", key="manual:V1", text="FYI",
                           fields={"impact": "None for customers"})
    again = service.notify(services, incident, "management", actor="U0ALICE", key="manual:V1", text="FYI")
    assert (first.state, again.state) == ("sent", "repeated")
    message = parts["chat"].sent[0][0]
    assert message.impact == "None for customers" and message.sender == "U0ALICE"
    entry = [e for e in services.incidents.timeline(incident.id) if e.kind == "stakeholder_notice"][0]
    assert entry.actor == "U0ALICE" and entry.text == "Told management (update): FYI"


def test_pages_follow_the_incident_and_failures_are_recorded(services, parts):
    incident = declare(services, severity="sev2")
    parts["paging"].fail = 1
    with pytest.raises(PageFailed):
        paging.page(services, incident, "leads", message="need eyes", actor="U0ALICE")
    assert services.repos.communications.pages(incident.id)[0].state == "failed"
    paging.page(services, incident, "leads", message="need eyes", actor="U0ALICE")
    cfg = services.config.incidents
    change(services, incident, lambda cur, at: lifecycle.change_phase(cfg, cur, "containment", "U0ALICE", at))
    change(services, incident, lambda cur, at: lifecycle.resolve(cfg, cur, "U0ALICE", at))
    assert [e.action for _, e in parts["paging"].events] == ["trigger", "acknowledge", "resolve"]
    assert len({e.dedup_key for _, e in parts["paging"].events}) == 1
    assert services.repos.communications.pages(incident.id)[0].state == "resolved"
    texts = [e.text for e in services.incidents.timeline(incident.id) if e.kind == "page"]
    assert texts[0].startswith("Could not page leads") and texts[1] == "Paged leads: need eyes"


def test_regulatory_clocks_start_with_the_category_and_business_days_skip_weekends(services, clock):
    incident = declare(services, severity="sev2")
    assert services.repos.communications.clocks([incident.id]) == []
    change(services, incident, lambda cur, at: lifecycle.set_category(services.config.incidents, cur,
                                                                         "data-exposure", "U0ALICE"))
    [gdpr] = services.repos.communications.clocks([incident.id])
    assert gdpr.regime == "gdpr" and gdpr.deadline - gdpr.started_at == timedelta(hours=72)
    friday = datetime(2026, 1, 2, 15, 0, tzinfo=timezone.utc)  # a Friday
    assert regulatory.deadline(services.config.communications.clock("sec"), friday) == \
        datetime(2026, 1, 8, 15, 0, tzinfo=timezone.utc)  # Mon, Tue, Wed, Thu
    regulatory.determined(services, incident, "sec", "U0ALICE")
    record = regulatory.notified(services, incident, "gdpr", "U0ALICE")
    assert record.met_by == "U0ALICE"
    assert [c.regime for c in services.repos.communications.running_clocks()] == ["sec"]
