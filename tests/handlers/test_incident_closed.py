"""Issue 23 item 4 through signed Slack requests: a closed incident is a record. A status
update, a severity change, a role or a playbook tick is refused with what still works, and
nothing is announced, counted or ticked; read-only commands answer; `reopen` works; a
repeated `close confirm` says it is already closed."""

from tests.handlers.test_incident_lifecycle import channel_texts, declare, run
from tests.support.slack import all_text, settled

CLOSED = "is closed, so it takes no more changes: only `/incident reopen` and read-only commands"

def closed_incident(ws):
    """Declared, a playbook attached, resolved and closed."""
    incident = declare(ws)
    run(ws, "playbook compromised-ec2-instance", incident=incident)
    settled(ws, lambda: ws.services.incidents.get(incident.id).playbook_state.get("messages"))
    run(ws, "resolve", incident=incident)
    settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "post-incident")
    run(ws, "close confirm", incident=incident)
    return settled(ws, lambda: (i := ws.services.incidents.get(incident.id)).phase == "closed" and i)

def answers_after(ws, incident, *texts):
    """Each command's private answer, in order."""
    found = []
    for text in texts:
        seen = len(ws.fake.calls_to("response_url"))
        run(ws, text, incident=incident)
        found.append(all_text(settled(ws, lambda: (c := ws.fake.calls_to("response_url")) and len(c) > seen
                                      and c[-1]).body))
    return found

def test_a_closed_incident_refuses_update_severity_role_and_playbook_tick_saying_so(workspace):
    incident = closed_incident(workspace)
    entries = len(workspace.services.incidents.timeline(incident.id))
    update, severity, role = answers_after(workspace, incident, "update All clear <!channel>", "severity sev1",
                                           f"role commander <@{workspace.user('bob')}>")
    for answer in (update, severity, role):
        assert f"Incident {incident.label} {CLOSED}" in answer
    seen = len(workspace.fake.calls_to("response_url"))
    workspace.sender.block_action(user=workspace.user("bob"), channel=incident.channel_id,
                                  action_id="playbook_step_done", value=f"{incident.id}:detection-1")
    tick = settled(workspace, lambda: (c := workspace.fake.calls_to("response_url")) and len(c) > seen and c[-1])
    assert CLOSED in all_text(tick.body)

    now = workspace.services.incidents.get(incident.id)
    assert (now.severity, now.roles.get("commander"), now.playbook_state["done"]) == \
        (incident.severity, incident.roles.get("commander"), {})
    assert len(workspace.services.incidents.timeline(incident.id)) == entries, "nothing on the timeline"
    announce = workspace.fake.channel_id("incidents")
    assert not any("All clear" in t for t in channel_texts(workspace, announce)), "no status update announced"

def test_a_closed_incident_still_answers_read_only_commands_and_reopens(workspace):
    incident = closed_incident(workspace)
    status, timeline = answers_after(workspace, incident, "status", "roles")
    assert CLOSED not in status and CLOSED not in timeline and incident.label in status
    run(workspace, "reopen", incident=incident)
    assert settled(workspace, lambda: workspace.services.incidents.get(incident.id).phase == "analysis")
    run(workspace, "severity sev1", incident=incident)
    assert settled(workspace, lambda: workspace.services.incidents.get(incident.id).severity == "sev1")

def test_a_repeated_close_confirm_says_it_is_already_closed(workspace):
    incident = closed_incident(workspace)
    [again] = answers_after(workspace, incident, "close confirm")
    assert f"Incident {incident.label} is already closed" in again
    closes = [e for e in workspace.services.incidents.timeline(incident.id) if e.text.startswith("Closed")]
    assert len(closes) == 1
