"""The incident lifecycle through signed Slack requests against the fake Slack: channel,
roles, severity, category, phases, notes, updates, and what is stored."""

import dataclasses
import json

import pytest

from composition import local_workspace
from tests.support.slack import ack_body, all_text, settled


_SEEN: dict[int, int] = {}


def declare(ws, text="declare sev2 Suspicious console logins", user="alice", channel="general"):
    """Declare through /incident and wait until its channel, summary and announcement exist;
    later `responses()` only count what came after it."""
    before = len(ws.services.incidents.recent())
    ws.sender.command("/incident", text, user=ws.user(user), channel=ws.channel(channel))
    incident = settled(ws, lambda: len(found := [i for i in ws.services.incidents.recent() if i.announce_ts]) > before
                          and found[0])
    _SEEN[id(ws)] = len(ws.fake.wait_for("response_url", count=before + 1))
    return incident


def run(ws, text, user="alice", channel=None, incident=None):
    """A command in the incident's channel (or another channel); returns the ack body."""
    where = channel and ws.channel(channel) or incident.channel_id
    return ack_body(ws.sender.command("/incident", text, user=ws.user(user), channel=where))


def responses(ws, count=1):
    """The first `count` answers (response_url) since the last declare()."""
    seen = _SEEN.get(id(ws), 0)
    return [c.body for c in ws.fake.wait_for("response_url", count=seen + count)][seen:seen + count]


def channel_texts(ws, channel_id):
    return [json.dumps(m.get("blocks")) + m.get("text", "") for m in ws.fake.channels[channel_id].messages]


def test_declare_creates_a_channel_with_everything_in_place(workspace):
    incident = declare(workspace)
    fake = workspace.fake
    channel = fake.channels[incident.channel_id]
    assert channel.name == "inc-001-suspicious-console-logins" == incident.channel_name
    assert workspace.user("alice") in channel.members and not channel.is_private
    assert channel.topic.startswith("sev2 · detection · commander")
    assert "Suspicious console logins" in channel.purpose
    summary = next(m for m in channel.messages if m["ts"] == incident.summary_ts)
    assert incident.summary_ts in channel.pins
    assert "Incident #1: Suspicious console logins" in json.dumps(summary["blocks"])
    assert incident.roles == {"commander": workspace.user("alice")}
    announce = fake.channels[fake.channel_id("incidents")]
    [message] = [m for m in announce.messages if m["ts"] == incident.announce_ts]
    assert "incident_join" in json.dumps(message["blocks"])
    assert incident.phase_times.keys() == {"detection"}


def test_name_taken_picks_the_next_free_name(workspace):
    workspace.fake.add_channel("inc-001-root-login")
    incident = declare(workspace, "declare Root login")
    assert incident.channel_name == "inc-001-root-login-2"
    assert len(workspace.fake.calls_to("conversations.create")) == 2


def test_configured_responders_are_invited(settings):
    def invite_carol_and_oncall(current, ws):
        ws.fake.usergroups["S0ONCALL"] = {ws.user("bob")}
        cfg = current.config
        return dataclasses.replace(current, config=cfg.model_copy(update={
            "incidents": cfg.incidents.model_copy(update={"invite": [ws.user("carol"), "S0ONCALL"]})}))

    ws = local_workspace(settings, threads=2, adjust=invite_carol_and_oncall)
    try:
        carol = ws.user("carol")
        incident = declare(ws)
        members = ws.fake.channels[incident.channel_id].members
        assert {ws.user("alice"), ws.user("bob"), carol} <= members
    finally:
        ws.stop()


def test_declare_without_text_opens_a_modal_and_submission_declares(workspace):
    assert ack_body(workspace.sender.command("/incident", "declare", user=workspace.user("bob"),
                                             channel=workspace.channel("general"))) == {}
    [opened] = workspace.fake.wait_for("views.open")
    view = opened.body["view"]
    assert view["callback_id"] == "incident_declare"
    assert {b["block_id"] for b in view["blocks"]} == {"title", "severity", "category", "description", "visibility"}
    values = {"title": {"title": {"type": "plain_text_input", "value": "Crypto-miner on build host"}},
              "severity": {"severity": {"type": "static_select", "selected_option": {"value": "sev1"}}},
              "category": {"category": {"type": "static_select", "selected_option": {"value": "malware"}}},
              "description": {"description": {"type": "plain_text_input", "value": "CPU at 100% <!here>"}},
              "visibility": {"visibility": {"type": "static_select", "selected_option": {"value": "private"}}}}
    reply = workspace.sender.view_submission(user=workspace.user("bob"), callback_id="incident_declare",
                                             values=values, private_metadata=view["private_metadata"])
    assert reply.status == 200 and reply.body == ""
    incident = settled(workspace, lambda: next((i for i in workspace.services.incidents.recent() if i.announce_ts), None))
    assert (incident.title, incident.severity, incident.category, incident.private) == \
        ("Crypto-miner on build host", "sev1", "malware", True)
    assert incident.description == "CPU at 100% <!here>"
    assert workspace.fake.channels[incident.channel_id].is_private
    assert "<!here>" not in json.dumps(workspace.fake.channels[incident.channel_id].messages)


def test_modal_without_title_is_refused_in_the_form(workspace):
    values = {"title": {"title": {"type": "plain_text_input", "value": "   "}},
              "severity": {"severity": {"type": "static_select", "selected_option": {"value": "sev1"}}},
              "category": {"category": {"type": "static_select", "selected_option": {"value": "malware"}}}}
    reply = workspace.sender.view_submission(user=workspace.user("bob"), callback_id="incident_declare",
                                             values=values)
    assert reply.json() == {"response_action": "errors", "errors": {"title": "An incident needs a title."}}
    assert workspace.services.incidents.count() == 0


def test_roles_assignment_handoff_and_listing(workspace):
    incident = declare(workspace)
    bob, carol = workspace.user("bob"), workspace.user("carol")
    run(workspace, f"role scribe <@{bob}|bob>", incident=incident)
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).roles.get("scribe") == bob)
    run(workspace, f"role commander <@{carol}|carol>", incident=incident)
    current = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).roles["commander"] == carol and i)
    assert bob in workspace.fake.channels[incident.channel_id].members
    handoff = [e for e in workspace.services.incidents.timeline(incident.id) if e.kind == "role"][-1]
    assert handoff.data == {"role": "commander", "previous": workspace.user("alice"), "user": carol}
    assert current.roles == {"commander": carol, "scribe": bob}
    # alice is no longer commander: commander-only commands are refused with who may run them
    run(workspace, "severity sev1", incident=incident)
    [refusal] = responses(workspace)
    assert refusal["response_type"] == "ephemeral" and "Only the commander or scribe" in all_text(refusal)
    assert workspace.services.incidents.get(incident.id).severity == "sev2"
    run(workspace, "roles", incident=incident)
    assert f"scribe: <@{bob}>" in all_text(responses(workspace, 2)[-1])


def test_unknown_role_and_missing_mention_are_usage_errors(workspace):
    incident = declare(workspace)
    run(workspace, f"role pilot <@{workspace.user('bob')}|bob>", incident=incident)
    [first] = responses(workspace)
    second = run(workspace, "role scribe bob", incident=incident)  # no mention: a usage error, in the ack
    assert "Unknown role" in all_text(first) and "commander, scribe, comms, tech_lead" in all_text(first)
    assert second["response_type"] == "ephemeral" and "@-mention" in all_text(second)


def test_severity_and_category_changes_update_summary_and_timeline(workspace):
    incident = declare(workspace)
    run(workspace, "severity sev1", incident=incident)
    run(workspace, "category credential-compromise", incident=incident)
    current = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).category
                         == "credential-compromise" and i)
    assert current.severity == "sev1"
    kinds = [(e.kind, e.text) for e in workspace.services.incidents.timeline(incident.id)]
    assert ("severity", "Severity: sev2 → sev1") in kinds
    assert ("category", "Category: other → credential-compromise") in kinds
    updates = [c.body for c in workspace.fake.calls_to("chat.update") if c.body["ts"] == incident.summary_ts]
    assert "credential-compromise" in json.dumps(updates[-1]["blocks"])
    assert workspace.fake.channels[incident.channel_id].topic.startswith("sev1 ·")


def test_invalid_severity_lists_the_valid_ones(workspace):
    incident = declare(workspace)
    run(workspace, "severity sev9", incident=incident)
    [answer] = responses(workspace)
    assert "Unknown severity" in all_text(answer) and "sev1, sev2, sev3, sev4" in all_text(answer)


def test_phases_forward_refusal_resolve_close_reopen(workspace, clock):
    incident = declare(workspace)
    run(workspace, "phase containment", incident=incident)
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).phase == "containment")
    run(workspace, "phase detection", incident=incident)  # two steps back: refused
    [refusal] = responses(workspace)
    assert "cannot go from containment to detection" in all_text(refusal)
    assert "allowed: eradication, recovery, post-incident, analysis" in all_text(refusal)
    run(workspace, "close", incident=incident)
    assert "resolve it first" in all_text(responses(workspace, 2)[-1])
    run(workspace, "resolve", incident=incident)
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).phase == "post-incident")
    run(workspace, "close", incident=incident)
    closed = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).phase == "closed" and i)
    assert set(closed.phase_times) == {"detection", "containment", "post-incident", "closed"}
    run(workspace, "reopen", incident=incident)
    assert settled(workspace, lambda: workspace.services.incidents.get(incident.id).phase == "analysis")
    phases = [e.text for e in workspace.services.incidents.timeline(incident.id) if e.kind == "phase"]
    assert phases == ["Phase: detection → containment", "Resolved: containment → post-incident", "Closed",
                      "Reopened: closed → analysis"]


def test_note_and_update_are_recorded_and_update_is_announced(workspace):
    incident = declare(workspace)
    run(workspace, "note Found 3 <!channel> suspicious sessions &amp; more", incident=incident)
    run(workspace, "update Contained: keys disabled, watching for re-entry", incident=incident)
    current = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).last_update_at and i)
    entries = workspace.services.incidents.timeline(incident.id)
    assert ("note", "Found 3 @channel suspicious sessions & more") in [(e.kind, e.text) for e in entries]
    assert any(e.kind == "status_update" and e.text.startswith("Contained:") for e in entries)
    announce = workspace.fake.channel_id("incidents")
    settled(workspace, lambda: any("Contained: keys disabled" in t for t in channel_texts(workspace, announce)))
    assert any("Contained: keys disabled" in t for t in channel_texts(workspace, incident.channel_id))
    assert current.last_update_at is not None


def test_note_starting_with_a_number_inside_the_channel_is_text(workspace):
    incident = declare(workspace)
    run(workspace, "note 42 hosts affected", incident=incident)
    settled(workspace, lambda: any(e.text == "42 hosts affected" for e in workspace.services.incidents.timeline(incident.id)))


def test_commands_elsewhere_need_an_incident_id(workspace):
    incident = declare(workspace)
    run(workspace, "status", channel="general")
    [not_here] = responses(workspace)
    run(workspace, "status 99", channel="general")
    unknown = responses(workspace, 2)[-1]
    run(workspace, f"status {incident.id}", channel="general")
    found = responses(workspace, 3)[-1]
    assert "not an incident channel" in all_text(not_here)
    assert "There is no incident #99" in all_text(unknown)
    assert "Suspicious console logins" in all_text(found) and "detection" in all_text(found)
    run(workspace, f"severity #{incident.id} sev1", channel="general")
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).severity == "sev1")
    assert "Incident #1: Severity: sev2 → sev1" in all_text(responses(workspace, 4)[-1])


def test_list_filters_open_and_severity(workspace):
    first = declare(workspace, "declare sev1 First")
    second = declare(workspace, "declare sev3 Second")
    run(workspace, "resolve", incident=second)
    settled(workspace, lambda: workspace.services.incidents.get(second.id).phase == "post-incident")
    run(workspace, "list sev1", channel="general")
    [listed] = responses(workspace)
    bogus = run(workspace, "list bogus", channel="general")  # a usage error: answered in the ack
    run(workspace, "list all", channel="general")
    everything = responses(workspace, 2)[-1]
    assert "First" in all_text(listed) and "Second" not in all_text(listed)
    assert bogus["response_type"] == "ephemeral" and "Unknown filter" in all_text(bogus)
    assert "First" in all_text(everything) and "Second" in all_text(everything)
    run(workspace, "list", channel="general")
    assert "Second" in all_text(responses(workspace, 3)[-1])  # resolved is still open until closed
    assert first.id == 1


def test_pin_reaction_adds_message_once_and_removal_takes_it_off(workspace):
    incident = declare(workspace)
    fake, bob, carol, alice = workspace.fake, workspace.user("bob"), workspace.user("carol"), workspace.user("alice")
    message = fake.add_user_message(incident.channel_id, bob, "Attacker IP is 203.0.113.9")
    pins = lambda: [e for e in workspace.services.incidents.timeline(incident.id) if e.kind == "pin"]  # noqa: E731

    def react(user, name="pushpin", add=True):
        """What Slack does when a person reacts: the message changes, then an event is sent."""
        fake.react(incident.channel_id, message["ts"], name, user, add=add)
        workspace.sender.event({"type": "reaction_added" if add else "reaction_removed", "user": user,
                                "reaction": name,
                                "item": {"type": "message", "channel": incident.channel_id, "ts": message["ts"]}})

    react(carol)
    [entry] = settled(workspace, pins)
    assert (entry.actor, entry.text) == (bob, "Attacker IP is 203.0.113.9")
    assert entry.data["permalink"].endswith(message["ts"].replace(".", ""))
    assert abs(entry.at.timestamp() - float(message["ts"])) < 1
    react(alice)  # a second pin adds nothing
    react(alice, name="eyes")  # another reaction is ignored
    react(carol, add=False)  # alice's pin is still there
    settled(workspace, lambda: len(workspace.fake.calls_to("conversations.history")) >= 3)
    assert len(pins()) == 1
    react(alice, add=False)
    settled(workspace, lambda: not pins())


def test_pin_in_a_non_incident_channel_is_ignored(workspace):
    general = workspace.channel("general")
    message = workspace.fake.add_user_message(general, workspace.user("bob"), "hello")
    workspace.sender.event({"type": "reaction_added", "user": workspace.user("bob"), "reaction": "pushpin",
                            "item": {"type": "message", "channel": general, "ts": message["ts"]}})
    workspace.sender.event({"type": "app_mention", "user": workspace.user("bob"), "text": "<@UBOT>", "ts": "1.2",
                            "channel": general, "event_ts": "1.2"})
    workspace.fake.wait_for("chat.postMessage")  # processed in order: the pin came first and did nothing
    assert workspace.services.incidents.count() == 0


def test_timeline_is_paginated_with_buttons(workspace):
    incident = declare(workspace)
    for n in range(30):
        workspace.services.incidents.add_timeline(incident.id, kind="note", text=f"entry {n}", actor="U0000002",
                                                  at=incident.declared_at)
    run(workspace, "timeline", incident=incident)
    [page_one] = responses(workspace)
    assert page_one["response_type"] == "in_channel"
    assert "page 1 of 2 (31 entries)" in all_text(page_one)
    buttons = [e for b in page_one["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == [f"{incident.id}:2"]
    workspace.sender.block_action(user=workspace.user("bob"), channel=incident.channel_id,
                                  action_id="incident_timeline_page", value=buttons[0]["value"])
    page_two = responses(workspace, 2)[-1]
    assert page_two["replace_original"] is True and "page 2 of 2" in all_text(page_two)
    assert "entry 29" in all_text(page_two) and "entry 0" not in all_text(page_two)


def test_join_button_invites_the_presser(workspace):
    incident = declare(workspace)
    carol = workspace.user("carol")
    assert carol not in workspace.fake.channels[incident.channel_id].members
    workspace.sender.block_action(user=carol, channel=workspace.fake.channel_id("incidents"),
                                  action_id="incident_join", value=str(incident.id))
    settled(workspace, lambda: carol in workspace.fake.channels[incident.channel_id].members)


def test_slack_refusal_after_saving_says_so_plainly(workspace):
    incident = declare(workspace)
    workspace.fake.fail("chat.postMessage", "not_in_channel")
    run(workspace, "note kept even though Slack refused", incident=incident)
    [answer] = responses(workspace)
    assert "Saved on the timeline" in all_text(answer) and "not_in_channel" in all_text(answer)
    assert any(e.text == "kept even though Slack refused" for e in workspace.services.incidents.timeline(incident.id))


def test_channel_creation_refused_leaves_incident_and_explains(workspace):
    workspace.fake.fail("conversations.create", "restricted_action")
    workspace.sender.command("/incident", "declare Blocked channel", user=workspace.user("alice"),
                             channel=workspace.channel("general"))
    [answer] = responses(workspace)
    assert "restricted_action" in all_text(answer)
    [incident] = workspace.services.incidents.recent()
    assert incident.channel_id is None and incident.title == "Blocked channel"


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export(workspace, fmt):
    from tests.support.cli import run_bot

    incident = declare(workspace)
    run(workspace, "note | pipes | and &lt;b&gt;tags&lt;/b&gt;", incident=incident)
    settled(workspace, lambda: len(workspace.services.incidents.timeline(incident.id)) == 2)
    result = run_bot("export", str(incident.id), "--format", fmt,
                     env={"DATABASE_URL": workspace.settings.secrets.database_url})
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["incident"]["title"] == "Suspicious console logins"
        assert [e["kind"] for e in data["timeline"]] == ["declared", "note"]
    else:
        assert result.stdout.startswith("# Incident #1: Suspicious console logins")
        assert "\\| pipes \\| and &lt;b&gt;tags&lt;/b&gt;" in result.stdout


@pytest.mark.parametrize("text,expected", [
    ("severity", "/incident severity [id] <severity>"),
    ("role commander", "/incident role [id] <role> @user"),
    ("note", "/incident note [id] <text>"),
])
def test_missing_arguments_get_usage_before_anything_runs(workspace, text, expected):
    body = run(workspace, text, channel="general")
    assert body["response_type"] == "ephemeral"
    assert expected.replace("<", "&lt;").replace(">", "&gt;") in all_text(body)
