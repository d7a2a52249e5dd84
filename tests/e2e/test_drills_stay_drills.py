"""Issue 23 item 2, drills reach real people: through signed Slack requests against the fake
Slack, with a stand-in pager and a manual clock. A drill pages nobody, tells no audience,
opens no AWS case, and never meets a real incident (no "Also seen in finding drill-…", no
drill finding linked into a real one) unless its scenario names a test audience; then only
that audience hears, and everything it hears says [DRILL]. `/incident drill end` resolves the
drill, resolves what it paged and stops its reminders and SLA escalations; ending it again
answers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import yaml

import composition
from composition import local_workspace
from core.clock import ManualClock
from core.drills import loader
from core.errors import InvalidTransition
from core.findings import triage
from core.findings.intake import receive_one
from handlers import ids
from tests.support.communications import StandIn, with_communications
from tests.support.slack import all_text, settled


@pytest.fixture
def stand_in(monkeypatch):
    monkeypatch.setenv("FIREBREAK_PD_LEADS", "R0LEADS")
    monkeypatch.setenv("FIREBREAK_PD_DRILLS", "R0DRILLS")
    server = StandIn()
    yield server
    server.stop()


def plan(ws, events_url: str) -> dict:
    leads = ws.fake.channel_id("security-leads") or ws.fake.add_channel("security-leads", members=())
    observers = ws.fake.channel_id("drill-observers") or ws.fake.add_channel("drill-observers", members=())
    pager = {"type": "pagerduty", "events_url": events_url, "attempts": 1}
    return {
        "audiences": {
            "security-leads": {"slack_channels": [leads], "pager": {**pager, "routing_key_env": "FIREBREAK_PD_LEADS"}},
            "management": {"slack_users": [ws.user("bob")]},
            "drill-observers": {"slack_channels": [observers],
                                "pager": {**pager, "routing_key_env": "FIREBREAK_PD_DRILLS"}},
        },
        "rules": [{"when": ["declared", "resolved", "severity", "status_update"], "severities": ["sev1", "sev2"],
                   "notify": ["security-leads", "management"], "page": ["security-leads"]}],
        "user_pager": "security-leads",
        "aws_support": {"enabled": True},
    }


def workspace(settings, stand_in, clock):
    """SLA breaches page security-leads and mention carol (scheduling.escalation)."""
    return local_workspace(settings, threads=2, clock=clock, with_clock=True, adjust=lambda s, w: with_communications(
        s, plan(w, stand_in.url), page=["security-leads"], mention=[w.user("carol")]))


def command(ws, text, channel, user="alice") -> str:
    """Send `/incident text`; what came back privately (response_url), as text."""
    seen = len(ws.fake.calls_to("response_url"))
    ws.sender.command("/incident", text, user=ws.user(user), channel=channel)
    assert ws.settle()
    return "\n".join(all_text(c.body) for c in ws.fake.calls_to("response_url")[seen:])


def start_drill(ws, name="crypto-mining"):
    ws.sender.command("/incident", f"drill {name}", user=ws.user("alice"), channel=ws.channel("general"))
    return settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.is_drill and i.summary_ts), None))


def texts(ws, channel) -> str:
    return "\n".join(all_text(m) for m in ws.fake.messages(channel))


def guardduty(finding_id: str, instance: str) -> dict:
    """A GuardDuty finding in the published format (as in samples/guardduty) on `instance`."""
    return {"schemaVersion": "2.0", "accountId": "123456789012", "region": "us-east-1", "partition": "aws",
            "id": finding_id, "type": "Backdoor:EC2/C&CActivity.B",
            "arn": f"arn:aws:guardduty:us-east-1:123456789012:detector/0abc/finding/{finding_id}",
            "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": instance}},
            "service": {"serviceName": "guardduty", "count": 1, "resourceRole": "TARGET",
                        "eventFirstSeen": "2026-03-14T09:00:00Z", "eventLastSeen": "2026-03-14T09:00:00Z"},
            "severity": 8, "createdAt": "2026-03-14T09:00:00Z", "updatedAt": "2026-03-14T09:00:00Z",
            "title": f"C&C activity from {instance}", "description": "A real finding."}


@pytest.mark.slow
def test_item2_a_drill_pages_tells_and_opens_nothing_and_never_meets_a_real_incident(settings, stand_in,
                                                                                      moto_inprocess):
    clock = ManualClock()
    ws = workspace(settings, stand_in, clock)
    try:
        # A real incident about an instance, with its finding, before the drill starts.
        from core.drills.loader import stand_in as placeholder

        instance = placeholder("instance", "web-1")  # what the drill fills in without a sandbox
        receive_one(ws.services, guardduty("real-1", instance), origin="cli")
        real_finding = ws.services.repos.findings.by_finding_id("real-1")
        real = triage.declare_incident(ws.services, real_finding.pk, ws.user("alice"))
        settled(ws, lambda: ws.services.incidents.get(real.id).summary_ts)
        assert len([e for e in stand_in.events() if e["event_action"] == "trigger"]) == 1  # the real one pages
        leads_before, bob_before = texts(ws, "security-leads"), texts(ws, ws.user("bob"))

        drill = start_drill(ws)
        assert loader.fill("{instance:web-1}", drill.drill["values"]) == instance
        assert len(stand_in.events()) == 1, "the drill paged nobody"
        assert texts(ws, "security-leads") == leads_before and texts(ws, ws.user("bob")) == bob_before
        real_timeline = "\n".join(e.text for e in ws.services.incidents.timeline(real.id, limit=None))
        assert "Also seen in finding drill-" not in real_timeline
        assert "drill-" not in texts(ws, real.channel_id)
        [linked] = ws.services.repos.findings.linked(drill.id)
        drill_finding = ws.services.repos.findings.by_finding_id(linked.finding_id)
        with pytest.raises(InvalidTransition, match="came from a drill"):
            triage.link_to_incident(ws.services, drill_finding.pk, real.id, ws.user("alice"))

        # a real finding on the same instance is told to the real incident, never to the drill,
        # and Add to incident (a signed block action) refuses to put it into the drill
        receive_one(ws.services, guardduty("real-2", instance), origin="cli")
        assert "Also seen in finding real-2" in "\n".join(
            e.text for e in ws.services.incidents.timeline(real.id, limit=None))
        assert "real-2" not in "\n".join(e.text for e in ws.services.incidents.timeline(drill.id, limit=None))
        posted = settled(ws, lambda: (f := ws.services.repos.findings.by_finding_id("real-2")).slack_ts and f)
        shown = next(m for m in ws.fake.messages(posted.slack_channel) if m["ts"] == posted.slack_ts)
        seen = len(ws.fake.calls_to("response_url"))
        ws.sender.block_action(user=ws.user("alice"), channel=posted.slack_channel, action_id=ids.ACTION_FINDING_LINK,
                               message=shown, selected={"value": f"{posted.pk}:{drill.id}"})
        ws.fake.wait_for("response_url", lambda c: "is a drill" in all_text(c.body))
        assert ws.services.repos.findings.by_finding_id("real-2").incident_id is None
        assert len(ws.fake.calls_to("response_url")) > seen

        refused = command(ws, "page security-leads wake up", drill.channel_id)
        assert "is a drill" in refused and "nobody" in refused
        assert "is a drill" in command(ws, f"page <@{ws.user('carol')}>", drill.channel_id)
        assert "is a drill" in command(ws, "notify management", drill.channel_id)
        assert "opens no AWS Support case" in command(ws, "aws-support", drill.channel_id)
        command(ws, "update Miner found, isolating", drill.channel_id)  # a status update: the plan says notify
        assert len(stand_in.events()) == 1 and texts(ws, ws.user("bob")) == bob_before

        ws.advance_clock(timedelta(hours=9))  # past the sev2 acknowledge and contain SLAs
        breaches = [e for e in ws.services.incidents.timeline(drill.id, limit=None) if e.kind == "sla_breach"]
        assert breaches, "the SLA is still scored in the drill's own channel"
        assert any("SLA breached" in all_text(m) for m in ws.fake.messages(drill.channel_id))
        assert f"<@{ws.user('carol')}>" not in json.dumps(ws.fake.messages(drill.channel_id)), \
            "the escalation contact is a real person: a drill does not mention her"
        assert [e for e in stand_in.events() if "[DRILL]" in e["payload"]["summary"]] == []
        assert texts(ws, "security-leads").count("Drill") == 0
    finally:
        ws.stop()


def _with_test_audience(tmp_path, monkeypatch):
    """The shipped crypto-mining scenario, opted in to the test audience drill-observers."""
    data = yaml.safe_load((loader.DIRECTORY / "crypto-mining.yaml").read_text(encoding="utf-8"))
    data["test_audience"] = "drill-observers"
    (tmp_path / "crypto-mining.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(composition, "drill_library",
                        lambda cfg, playbooks, rules: loader.library(cfg, playbooks, rules, tmp_path))


@pytest.mark.slow
def test_item2_a_drill_with_a_test_audience_reaches_only_it_with_drill_on_everything_and_drill_end_resolves_it(
        settings, stand_in, moto_inprocess, tmp_path, monkeypatch):
    _with_test_audience(tmp_path, monkeypatch)
    clock = ManualClock()
    ws = workspace(settings, stand_in, clock)
    try:
        drill = start_drill(ws)
        assert drill.drill["test_audience"] == "drill-observers"
        [trigger] = stand_in.events()
        assert trigger["routing_key"] == "R0DRILLS" and trigger["event_action"] == "trigger"
        assert trigger["payload"]["summary"].startswith("[DRILL] ")
        assert trigger["payload"]["custom_details"]["drill"] is True
        observers = texts(ws, "drill-observers")
        assert "[DRILL] Incident" in observers
        assert texts(ws, "security-leads") == "" and texts(ws, ws.user("bob")) == ""
        assert "Paged drill-observers" in texts(ws, drill.channel_id)
        assert "only its test audience drill-observers" in command(ws, "page security-leads", drill.channel_id)

        command(ws, f"role commander <@{ws.user('bob')}>", drill.channel_id, user="bob")
        seen = len(ws.fake.messages(drill.channel_id))
        ws.sender.command("/incident", "drill end", user=ws.user("bob"), channel=drill.channel_id)
        ended = settled(ws, lambda: (i := ws.services.incidents.get(drill.id)).drill.get("scorecard") and i)
        assert ended.phase == "post-incident", "drill end resolves the drill incident"
        settled(ws, lambda: any(e["event_action"] == "resolve" for e in stand_in.events()))
        [resolve] = [e for e in stand_in.events() if e["event_action"] == "resolve"]
        assert resolve["dedup_key"] == trigger["dedup_key"]  # Events API v2: a resolve carries no payload
        assert all(line.startswith("[DRILL]") for line in texts(ws, "drill-observers").split("\n")
                   if line.startswith(("[DRILL]", "Incident", "Private")))
        assert "Drill scorecard" in texts(ws, drill.channel_id)

        again = command(ws, "drill end", drill.channel_id, user="bob")  # typed again in the drill channel
        assert "already ended" in again and "Time to acknowledge" in again

        shown = len(ws.fake.messages(drill.channel_id))
        events = len(stand_in.events())
        ws.advance_clock(timedelta(hours=10))  # reminders and SLA escalations would have fallen due
        later = ws.fake.messages(drill.channel_id)[shown:]
        assert not any("no status update" in all_text(m) or "SLA breached" in all_text(m) for m in later)
        assert len(stand_in.events()) == events
        assert seen < shown
    finally:
        ws.stop()
