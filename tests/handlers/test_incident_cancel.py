"""`/incident cancel <reason>` and `/incident resolve false-positive [reason]` through signed
Slack requests: what is stored, what the pinned summary and status say, that `stats` (in
Slack and on the command line) leaves both out and names them, and that reopen undoes them."""

import json

import bot
from core.clock import SystemClock
from tests.support.slack import ack_body, all_text, settled


def declare(ws, title):
    before = len(ws.services.incidents.recent())
    ws.sender.command("/incident", f"declare sev2 {title}", user=ws.user("alice"), channel=ws.channel("general"))
    return settled(ws, lambda: len(found := [i for i in ws.services.incidents.recent() if i.announce_ts]) > before
                   and found[0])


def run(ws, incident, text, user="alice"):
    return ack_body(ws.sender.command("/incident", text, user=ws.user(user), channel=incident.channel_id))


def answers(ws):
    return [c.body for c in ws.fake.calls_to("response_url")]


def summary_of(ws, incident):
    current = ws.services.incidents.get(incident.id)
    message = next(m for m in ws.fake.channels[current.channel_id].messages if m["ts"] == current.summary_ts)
    return json.dumps(message["blocks"])


def test_cancel_needs_a_reason_ends_the_incident_and_reopen_brings_it_back(workspace):
    incident = declare(workspace, "Testing the bot")
    refused = run(workspace, incident, "cancel")
    assert refused["response_type"] == "ephemeral"
    assert "Usage: `/incident cancel [id] &lt;reason&gt;`" in all_text(refused)
    assert run(workspace, incident, "cancel Just trying Firebreak out") == {}
    cancelled = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).phase == "closed" and i)
    assert (cancelled.resolution, cancelled.resolution_reason) == ("cancelled", "Just trying Firebreak out")
    [entry] = [e for e in workspace.services.incidents.timeline(incident.id) if e.kind == "phase"]
    assert entry.text == "Cancelled: detection → closed (Just trying Firebreak out)"
    assert entry.data["resolution"] == "cancelled"
    assert "Cancelled" in summary_of(workspace, incident) and "Not counted in the response metrics" in \
        summary_of(workspace, incident)

    seen = len(answers(workspace))
    run(workspace, incident, "status")
    status = settled(workspace, lambda: len(found := answers(workspace)) > seen and found[-1])
    assert "Cancelled" in all_text(status) and "Just trying Firebreak out" in all_text(status)
    run(workspace, incident, "cancel again")
    again = settled(workspace, lambda: len(found := answers(workspace)) > seen + 1 and found[-1])
    assert "already cancelled" in all_text(again)

    run(workspace, incident, "reopen")
    reopened = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).phase == "analysis"
                       and i)
    assert reopened.resolution is None and reopened.resolution_reason is None
    assert "Cancelled" not in summary_of(workspace, incident)


def test_resolve_false_positive_with_a_reason_and_a_bad_word_is_refused(workspace):
    incident = declare(workspace, "GuardDuty port probe")
    refused = run(workspace, incident, "resolve benign")  # a usage error: answered in the ack, no job
    assert refused["response_type"] == "ephemeral"
    assert "“benign” is not a kind of resolution" in all_text(refused) and "false-positive" in all_text(refused)
    assert workspace.settle() and workspace.services.incidents.get(incident.id).phase == "detection"
    run(workspace, incident, "resolve false-positive Red team exercise, announced")
    resolved = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).phase
                       == "post-incident" and i)
    assert (resolved.resolution, resolved.resolution_reason) == ("false-positive", "Red team exercise, announced")
    assert "false positive" in summary_of(workspace, incident)
    run(workspace, incident, "close")
    closed = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).phase == "closed" and i)
    assert closed.resolution == "false-positive"
    texts = [e.text for e in workspace.services.incidents.timeline(incident.id) if e.kind == "phase"]
    assert texts == ["Resolved as a false positive: detection → post-incident (Red team exercise, announced)",
                     "Closed (false positive)"]


def test_stats_leave_cancelled_and_false_positive_incidents_out_and_say_so(workspace, clean_db, monkeypatch,
                                                                          capsys):
    # `python bot.py stats` (system time) sees the same window as the workspace's clock
    assert abs(workspace.services.clock.now() - SystemClock().now()).total_seconds() < 5
    real = declare(workspace, "Real miner")
    test = declare(workspace, "Testing")
    benign = declare(workspace, "Pen test")
    run(workspace, real, "resolve")
    run(workspace, test, "cancel a test of the bot")
    run(workspace, benign, "resolve fp scheduled pen test")
    settled(workspace, lambda: [workspace.services.incidents.get(i.id).phase for i in (real, test, benign)]
            == ["post-incident", "closed", "post-incident"])
    seen = len(answers(workspace))
    workspace.sender.command("/incident", "stats 7d", user=workspace.user("alice"),
                             channel=workspace.channel("general"))
    shown = all_text(settled(workspace, lambda: len(found := answers(workspace)) > seen and found[-1]))
    expected = f"Not counted in the metrics: 1 cancelled ({test.label}); 1 false positive ({benign.label})."
    assert expected in shown and "(since " in shown and "UTC): 3" in shown
    sev2 = next(line for line in shown.splitlines() if line.startswith("sev2")).split()
    assert sev2[1] == "1"  # only the real incident is measured

    monkeypatch.setenv("DATABASE_URL", clean_db)
    monkeypatch.delenv("FIREBREAK_CONFIG", raising=False)
    assert bot.main(["stats", "--days", "7"]) == 0
    out = capsys.readouterr().out
    assert expected in out and next(line for line in out.splitlines() if line.startswith("sev2")).split()[1] == "1"
