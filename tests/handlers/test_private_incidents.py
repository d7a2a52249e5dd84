"""Private incidents stay private (issue: a "private" incident anyone could join). Through
signed Slack requests against the fake Slack: the announcement leaks no title and offers no
Join; people the incident is not shared with cannot open it by number, list it, read its
timeline, post to it or join it; configured viewers can."""

from __future__ import annotations

import dataclasses
import json

import pytest

from composition import local_workspace
from handlers import ids
from tests.support.slack import ack_body, all_text, settled

TITLE = "HR data on laptop of <!here> exec"


def with_incidents(settings, **changes):
    cfg = settings.config
    return dataclasses.replace(settings, config=cfg.model_copy(update={
        "incidents": cfg.incidents.model_copy(update=changes)}))


def declare_private(ws, user="alice"):
    before = len(ws.services.incidents.recent())
    ack = ack_body(ws.sender.command("/incident", f"declare private sev2 {TITLE}", user=ws.user(user),
                                     channel=ws.channel("general")))
    assert ack == {}
    return settled(ws, lambda: len(found := ws.services.incidents.recent()) > before and found[0])


def answer_to(ws, text, user, channel="general"):
    """Run /incident as `user` and return every answer (ack and response_url) it produced."""
    seen = len(ws.fake.calls_to("response_url"))
    ack = ack_body(ws.sender.command("/incident", text, user=ws.user(user), channel=ws.channel(channel)))
    ws.settle()
    later = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
    return [a for a in [ack] if a] + later


def test_declared_private_by_text_with_a_neutral_announcement(workspace):
    incident = declare_private(workspace)
    assert incident.private and workspace.fake.channels[incident.channel_id].is_private
    announced = workspace.fake.messages(workspace.channel("incidents"))
    shown = json.dumps(announced)
    assert f"Private incident #{incident.id}" in shown.replace(f"#{incident.id:03d}", f"#{incident.id}") or \
        f"Private incident {incident.label}" in shown
    assert "HR data" not in shown and ids.ACTION_INCIDENT_JOIN not in shown
    everywhere = json.dumps([m for c in workspace.fake.channels.values() if c.id != incident.channel_id
                             for m in c.messages])
    assert "HR data" not in everywhere, "the title stays inside the incident's channel"


def test_outsiders_cannot_open_list_read_or_post_to_it(workspace):
    incident = declare_private(workspace)
    number = str(incident.id)
    for text in (f"status {number}", f"timeline {number}", f"update {number} all clear", f"roles {number}"):
        answers = answer_to(workspace, text, "bob")
        assert any(f"There is no incident #{number}" in all_text(a) for a in answers), text
        assert "HR data" not in json.dumps(answers)
    listed = answer_to(workspace, "list all", "bob")
    assert "HR data" not in json.dumps(listed) and f"#{number}" not in all_text(listed[-1])
    assert [e.kind for e in workspace.services.incidents.timeline(incident.id)] == ["declared"]


def test_a_forged_join_button_does_not_let_an_outsider_in(workspace):
    incident = declare_private(workspace)
    workspace.sender.block_action(user=workspace.user("bob"), channel=workspace.channel("incidents"),
                                  action_id=ids.ACTION_INCIDENT_JOIN, value=str(incident.id))
    workspace.settle()
    assert workspace.user("bob") not in workspace.fake.channels[incident.channel_id].members


def test_members_of_its_channel_and_configured_viewers_can_open_it(settings):
    ws = local_workspace(settings, threads=2,
                         adjust=lambda s, w: with_incidents(s, private_viewers=[w.user("carol")]))
    try:
        incident = declare_private(ws)
        assert any("HR data" in all_text(a) for a in answer_to(ws, f"status {incident.id}", "carol"))
        assert not any("HR data" in all_text(a) for a in answer_to(ws, f"status {incident.id}", "bob"))
        ws.sender.command("/incident", f"role scribe <@{ws.user('bob')}|bob>", user=ws.user("alice"),
                          channel=incident.channel_id)
        ws.settle()
        assert ws.user("bob") in ws.fake.channels[incident.channel_id].members
        assert any("HR data" in all_text(a) for a in answer_to(ws, f"status {incident.id}", "bob"))
    finally:
        ws.stop()


def test_status_updates_of_a_private_incident_stay_in_its_channel(workspace):
    incident = declare_private(workspace)
    before = len(workspace.fake.messages(workspace.channel("incidents")))
    workspace.sender.command("/incident", "update Contained the laptop", user=workspace.user("alice"),
                             channel=incident.channel_id)
    workspace.settle()
    assert len(workspace.fake.messages(workspace.channel("incidents"))) == before
    assert any("Contained the laptop" in json.dumps(m) for m in workspace.fake.messages(incident.channel_id))


def test_no_announcement_at_all_when_configured(settings):
    ws = local_workspace(with_incidents(settings, private_announcement="none"), threads=2)
    try:
        declare_private(ws)
        assert ws.fake.messages(ws.channel("incidents")) == []
    finally:
        ws.stop()


def test_private_announcement_none_posts_nothing_in_the_declaring_channel(settings):
    """Issue 22 item 14: the declaring channel got a notice despite `private_announcement: none`;
    now only the declarer is told, privately, where the incident went."""
    ws = local_workspace(with_incidents(settings, private_announcement="none"), threads=2)
    try:
        seen = len(ws.fake.calls_to("response_url"))
        incident = declare_private(ws)
        ws.settle()
        assert ws.fake.messages(ws.channel("general")) == []
        answers = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
        assert answers and all(a.get("response_type") == "ephemeral" for a in answers)
        assert any(f"<#{incident.channel_id}>" in all_text(a) for a in answers)
        assert "HR data" not in json.dumps(answers)
    finally:
        ws.stop()


def test_the_timeline_of_any_incident_is_only_for_you_outside_its_channel(workspace):
    workspace.sender.command("/incident", "declare sev3 Public thing", user=workspace.user("alice"),
                             channel=workspace.channel("general"))
    incident = settled(workspace, lambda: workspace.services.incidents.recent()[0])
    [answer] = [a for a in answer_to(workspace, f"timeline {incident.id}", "bob") if "Timeline" in all_text(a)]
    assert answer["response_type"] == "ephemeral"


@pytest.mark.parametrize("text", ["declare sev9 Something odd", "declare P7 Something odd"])
def test_a_mistyped_severity_is_an_error_listing_the_valid_ones(workspace, text):
    body = ack_body(workspace.sender.command("/incident", text, user=workspace.user("alice"),
                                             channel=workspace.channel("general")))
    assert "is not a severity" in all_text(body) and "sev1" in all_text(body)
    workspace.settle()
    assert workspace.services.incidents.recent() == []
