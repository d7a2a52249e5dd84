"""/incident over signed HTTP against the fake Slack: what the user sees and what is stored."""

import dataclasses

import pytest

from composition import local_workspace
from tests.support.slack import ack_body, all_text, mrkdwn_of, settled


@pytest.fixture
def alice(workspace):
    return workspace.user("alice")


@pytest.fixture
def general(workspace):
    return workspace.channel("general")


def test_help_is_ephemeral_and_lists_declare(workspace, alice, general):
    body = ack_body(workspace.sender.command("/incident", "help", user=alice, channel=general))
    assert body["response_type"] == "ephemeral"
    assert "/incident declare" in all_text(body)
    assert workspace.services.incidents.count() == 0


def test_empty_text_shows_help(workspace, alice, general):
    body = ack_body(workspace.sender.command("/incident", "", user=alice, channel=general))
    assert body["response_type"] == "ephemeral" and "/incident declare" in all_text(body)


def test_unknown_subcommand_gets_usage_not_an_error(workspace, alice, general):
    body = ack_body(workspace.sender.command("/incident", "frobnicate now", user=alice, channel=general))
    text = all_text(body)
    assert body["response_type"] == "ephemeral"
    assert "Unknown subcommand" in text and "frobnicate" in text and "/incident declare" in text
    assert workspace.services.incidents.count() == 0


def test_declare_stores_incident_and_announces_it_in_channel(workspace, alice, general):
    reply = workspace.sender.command("/incident", "declare sev2 Suspicious console logins",
                                     user=alice, channel=general)
    assert ack_body(reply) == {}
    response = workspace.fake.wait_for("response_url")[0].body
    assert response["response_type"] == "in_channel"
    [incident] = workspace.services.incidents.recent()
    assert (incident.title, incident.severity, incident.phase, incident.declared_by, incident.origin_channel) == \
        ("Suspicious console logins", "sev2", "detection", alice, general)
    assert f"Incident #{incident.id} declared" in all_text(response)
    timeline = workspace.services.incidents.timeline(incident.id)
    assert [e.kind for e in timeline] == ["declared"] and timeline[0].actor == alice
    assert any("Suspicious console logins" in m["text"] for m in workspace.fake.messages("general"))


def test_declare_without_severity_uses_the_configured_default(workspace, alice, general):
    workspace.sender.command("/incident", "declare Port scan from 203.0.113.9", user=alice, channel=general)
    workspace.fake.wait_for("response_url")
    [incident] = workspace.services.incidents.recent()
    assert incident.severity == workspace.settings.config.incidents.default_severity
    assert incident.title == "Port scan from 203.0.113.9"


def test_declare_without_title_is_a_usage_message(workspace, alice, general):
    body = ack_body(workspace.sender.command("/incident", "declare sev1", user=alice, channel=general))
    assert body["response_type"] == "ephemeral" and "needs a title" in all_text(body)
    assert workspace.services.incidents.count() == 0


def test_attacker_text_in_title_never_pings_anyone(workspace, alice, general):
    # As Slack sends it with should_escape: a literal "<!channel>" arrives entity-escaped,
    # an @channel / @mention / link arrives as a <...> token.
    text = "declare &lt;!channel&gt; <!channel> <@U999|mallory> <https://evil.example|click> &amp; co"
    workspace.sender.command("/incident", text, user=alice, channel=general)
    response = workspace.fake.wait_for("response_url")[0].body
    shown = all_text(response)
    assert "<!channel>" not in shown and "<@U999" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt;" in shown and "&amp; co" in shown
    [incident] = workspace.services.incidents.recent()
    assert incident.title == "<!channel> @channel @mallory click (https://evil.example) & co"
    for call in workspace.fake.calls:  # nothing the bot sent anywhere carries a live ping
        assert "<!channel>" not in mrkdwn_of(call.body), (call.method, call.body)


def test_too_long_title_is_refused_with_a_reason(workspace, alice, general):
    workspace.sender.command("/incident", "declare " + "x" * 400, user=alice, channel=general)
    response = workspace.fake.wait_for("response_url")[0].body
    assert response["response_type"] == "ephemeral"
    assert "the limit is 150" in all_text(response)
    assert workspace.services.incidents.count() == 0


def test_slack_retry_of_a_declare_creates_nothing_new(workspace, alice, general):
    first = workspace.sender.command("/incident", "declare sev1 Root login", user=alice, channel=general,
                                     trigger_id="trig-1")
    workspace.fake.wait_for("response_url")
    retry = workspace.sender.command("/incident", "declare sev1 Root login", user=alice, channel=general,
                                     trigger_id="trig-1", retry_num=1)
    assert first.status == retry.status == 200
    settled(workspace, lambda: "firebreak_duplicate_requests_total 1.0" in workspace.services.telemetry.exposition().decode())
    assert workspace.services.incidents.count() == 1
    assert len(workspace.fake.calls_to("response_url")) == 1
    assert len(workspace.fake.calls_to("conversations.create")) == 1


def test_two_distinct_declares_make_two_incidents(workspace, alice, general):
    for title in ("First", "Second"):
        workspace.sender.command("/incident", f"declare {title}", user=alice, channel=general)
    workspace.fake.wait_for("response_url", count=2)
    assert sorted(i.title for i in workspace.services.incidents.recent()) == ["First", "Second"]


def test_user_outside_the_responder_list_is_refused(settings):
    restricted = dataclasses.replace(settings, config=settings.config.model_copy(
        update={"access": settings.config.access.model_copy(update={"responders": ["U0000001"]})}))
    ws = local_workspace(restricted, threads=2)
    try:
        bob = ws.user("bob")
        assert bob != "U0000001"
        ws.sender.command("/incident", "declare Something", user=bob, channel=ws.channel("general"))
        response = ws.fake.wait_for("response_url")[0].body
        assert response["response_type"] == "ephemeral" and "responder list" in all_text(response)
        assert ws.services.incidents.count() == 0
    finally:
        ws.stop()


def test_responder_via_user_group(settings):
    restricted = dataclasses.replace(settings, config=settings.config.model_copy(
        update={"access": settings.config.access.model_copy(update={"responders": ["S0SECOPS"]})}))
    ws = local_workspace(restricted, threads=2)
    try:
        ws.fake.usergroups["S0SECOPS"] = {ws.user("carol")}
        ws.sender.command("/incident", "declare From carol", user=ws.user("carol"), channel=ws.channel("general"))
        ws.sender.command("/incident", "declare From bob", user=ws.user("bob"), channel=ws.channel("general"))
        responses = ws.fake.wait_for("response_url", count=2)
        assert [i.title for i in ws.services.incidents.recent()] == ["From carol"]
        assert sorted(r.body["response_type"] for r in responses) == ["ephemeral", "in_channel"]
    finally:
        ws.stop()


def test_unexpected_failure_shows_an_error_id_and_keeps_nothing(workspace, alice, general, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workspace.services.incidents.__class__, "create", lambda self, **kw: broken(**kw))
    workspace.sender.command("/incident", "declare Will fail", user=alice, channel=general)
    response = workspace.fake.wait_for("response_url")[0].body
    shown = all_text(response)
    assert response["response_type"] == "ephemeral"
    assert "Error id" in shown and "disk on fire" not in shown
    assert "firebreak_errors_total{kind=\"unexpected\"} 1.0" in workspace.services.telemetry.exposition().decode()


def test_contain_help_lists_the_whole_containment_catalog(workspace, alice, general):
    from core.containment.catalog import specs_of

    body = ack_body(workspace.sender.command("/contain", "help", user=alice, channel=general))
    assert body["response_type"] == "ephemeral"
    shown = all_text(body)
    assert all(f"/contain {name} " in shown for name in specs_of("contain")), shown
    assert "collect-disk" not in shown, "evidence actions belong to /evidence help"
    assert "/contain undo" in shown and "--dry-run" in shown
