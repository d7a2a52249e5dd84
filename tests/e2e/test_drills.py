"""Response drills end to end (issue 13): every shipped scenario through the signed HTTP path
against the AWS sandbox under a manual clock — findings arrive, the drill incident is declared,
the expected containment is requested, approved by a second user and verified in the sandbox,
the drill ends and the scorecard has the right times. And a drill never touches an account
that is not the sandbox's: its containment becomes a dry run with the reason shown."""

from datetime import timedelta

import pytest

from composition import local_workspace
from composition.sandbox import ESTATE
from core.clock import ManualClock
from core.containment.flow import store
from core.drills import runner
from core.drills.loader import fill
from core.nulls import NoSandbox
from tests.support.sandbox import running_sandbox, sandboxed  # noqa: F401 - fixtures
from tests.support.slack import all_text, settled

SCENARIOS = sorted(p.stem for p in (ESTATE.parents[1] / "drills").glob("*.yaml"))




def _drill(ws, name, user="alice"):
    ws.sender.command("/incident", f"drill {name}", user=ws.user(user), channel=ws.channel("general"))
    return settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.is_drill and i.summary_ts), None))


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_end_to_end_in_the_sandbox(name, settings, sandboxed):
    clock = ManualClock()
    ws = local_workspace(settings, clock=clock, threads=4, local_sandbox=sandboxed)
    try:
        start = clock.now()
        incident = _drill(ws, name)
        scenario = runner.scenarios(ws.services)[name]
        assert incident.channel_name.startswith("drill-") and incident.drill["sandbox"] is True
        summary = next(m for m in ws.fake.messages(incident.channel_id) if m["ts"] == incident.summary_ts)
        assert "DRILL" in all_text(summary)
        announced = ws.fake.messages(ws.channel(ws.settings.config.slack.announce_channel))
        assert announced and all_text(announced[-1]).startswith("[DRILL]")
        first = [f for f in scenario.findings if f.offset == timedelta(0)]
        assert len(ws.services.repos.findings.linked(incident.id)) == len(first)

        clock.advance(minutes=2)  # bob takes command: acknowledged
        ws.sender.command("/incident", f"role commander <@{ws.user('bob')}>", user=ws.user("bob"),
                          channel=incident.channel_id)
        settled(ws, lambda: ws.services.incidents.get(incident.id).roles.get("commander") == ws.user("bob"))
        clock.advance(minutes=max(int(scenario.duration.total_seconds() // 60) - 2, 0))
        runner.deliver_due(ws.services)  # what the clock's sweep does
        linked = ws.services.repos.findings.linked(incident.id)
        assert len(linked) == len(scenario.findings)
        # every title carries the tag, CloudTrail's (made by the detection rules) included (issue 23 item 2)
        assert all(f.title.startswith("[DRILL]") for f in linked)

        values = ws.services.incidents.get(incident.id).drill["values"]
        expected = [(a.action, fill(a.target, values)) for a in scenario.expected.containment]
        t_request = t_done = None
        for n, (action, target) in enumerate(expected):
            clock.advance(minutes=1)
            t_request = t_request or clock.now()
            extra = f" --vpc {sandboxed.inventory.get('vpc', 'prod-vpc')}" if action == "block-ip" else ""
            ws.sender.command("/contain", f"{action} {target}{extra}", user=ws.user("alice"), channel=incident.channel_id)
            request = settled(ws, lambda: next((r for r in store(ws.services).for_incident(incident.id)
                                                if r.action == action and r.message_ts), None))
            assert request.state == "requested", request
            clock.advance(minutes=1)
            ws.sender.block_action(user=ws.user("bob"), channel=incident.channel_id, value=str(request.id),
                                   action_id="contain_approve")
            done = settled(ws, lambda: (r := store(ws.services).get(request.id)).state in ("succeeded", "failed") and r,
                           timeout=30)
            assert done.state == "succeeded" and done.outcome["verified"], (done.error_code, done.error)
            t_done = t_done or clock.now()

        clock.advance(minutes=1)
        ws.sender.command("/incident", "drill end", user=ws.user("bob"), channel=incident.channel_id)
        ended = settled(ws, lambda: (i := ws.services.incidents.get(incident.id)).drill.get("scorecard") and i)
        card = ended.drill["scorecard"]
        assert card["times"]["acknowledge"] == 120
        if expected:
            assert card["times"]["first_containment"] == (t_request - start).total_seconds()
            assert card["times"]["contained"] == (t_done - start).total_seconds()
            assert [r["outcome"] for r in card["expected"]] == ["done"] * len(expected)
        else:
            assert card["times"]["contained"] is None and card["expected"] == []
        assert any(line.startswith("Time to acknowledge: 2m00s") for line in card["lines"])
        shown = "\n".join(all_text(m) for m in ws.fake.messages(incident.channel_id))
        assert "Drill scorecard" in shown
        from core.incidents import postmortem

        assert "drill scorecard" in postmortem.for_incident(ws.services, ended)
    finally:
        ws.stop()


def test_a_drill_cannot_touch_an_account_that_is_not_the_sandbox(settings, moto_inprocess):
    clock = ManualClock()
    ws = local_workspace(settings, clock=clock, threads=4)  # AWS here is "real": no sandbox in use
    try:
        assert isinstance(ws.services.sandbox, NoSandbox)
        incident = _drill(ws, "crypto-mining")
        assert incident.drill["sandbox"] is False
        target = fill("{instance:web-1}", incident.drill["values"])
        ws.sender.command("/contain", f"isolate-instance {target}", user=ws.user("alice"), channel=incident.channel_id)
        request = settled(ws, lambda: next((r for r in store(ws.services).for_incident(incident.id) if r.message_ts),
                                           None))
        assert request.state == "planned" and request.dry_run
        assert "no AWS sandbox is in use" in request.plan["forced_dry_run"]
        card = next(m for m in ws.fake.messages(request.message_channel) if m["ts"] == request.message_ts)
        assert "forced to dry-run because no AWS sandbox is in use" in all_text(card)
    finally:
        ws.stop()


def test_drills_are_left_out_of_stats_unless_asked(settings, moto_inprocess):
    from core.scheduling import stats

    ws = local_workspace(settings, clock=ManualClock(), threads=4)
    try:
        _drill(ws, "port-probe")
        assert stats.build(ws.services, stats.parse_days(None)).total.count == 0
        assert stats.build(ws.services, stats.parse_days("drills")).total.count == 1
    finally:
        ws.stop()
