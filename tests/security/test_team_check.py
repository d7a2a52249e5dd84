"""Issue 10 item 13: the workspace (team_id) of incoming Slack requests was never checked, so
any workspace where the same app is installed (same signing secret) could drive the bot.
With slack.team_id set, another workspace's commands, buttons and events get 403 and run
nothing; the configured workspace works as before; unset, nothing changes."""

import dataclasses

import pytest

from handlers.team_check import request_teams
from local.slack_sender import SlackSender
from composition import local_workspace
from tests.support.slack import ack_body


def workspace_with_team(settings, team_id):
    slack = settings.config.slack.model_copy(update={"team_id": team_id})
    return local_workspace(dataclasses.replace(settings, config=settings.config.model_copy(update={"slack": slack})),
                          threads=2)


@pytest.fixture
def guarded(settings):
    ws = workspace_with_team(settings, "T0LOCAL")  # the local workspace's own id
    yield ws
    ws.stop()


def outsider(ws, team_id="T0ELSEWHERE"):
    """Another workspace with the same app installed: same signing secret, its own team id."""
    return SlackSender(ws.url, ws.settings.secrets.slack_signing_secret, team_id=team_id,
                       response_url=ws.fake.response_url)


def test_a_command_from_another_workspace_is_refused_and_runs_nothing(guarded):
    reply = outsider(guarded).command("/incident", "declare Planted incident", user=guarded.user("alice"),
                                      channel=guarded.channel("general"))
    assert reply.status == 403
    assert guarded.settle()
    assert guarded.services.incidents.count() == 0 and guarded.fake.calls_to("response_url") == []
    assert 'firebreak_rejected_requests_total{reason="team"} 1.0' in guarded.services.telemetry.exposition().decode()


def test_buttons_and_events_from_another_workspace_are_refused(guarded):
    other = outsider(guarded)
    assert other.block_action(user=guarded.user("bob"), channel=guarded.channel("general"),
                              action_id="anything", value="1").status == 403
    event = {"type": "app_mention", "user": guarded.user("bob"), "text": "<@UBOT> help", "ts": "1.000100",
             "channel": guarded.channel("general"), "event_ts": "1.000100"}
    assert other.event(event, event_id="EvOther").status == 403
    assert guarded.settle()
    assert guarded.fake.calls_to("chat.postMessage") == []


def test_the_configured_workspace_still_works(guarded):
    ack_body(guarded.sender.command("/incident", "help", user=guarded.user("alice"), channel=guarded.channel("general")))


def test_without_team_id_any_workspace_is_accepted(workspace):
    assert workspace.services.config.slack.team_id is None  # shipped default: optional
    ack_body(outsider(workspace).command("/incident", "help", user=workspace.user("alice"),
                                         channel=workspace.channel("general")))


def test_enterprise_org_id_may_be_configured():
    grid = {"team": {"id": "T0WORKSPACE"}, "enterprise": {"id": "E0ORG"}, "user": {"team_id": "T0STRANGER"}}
    assert request_teams(grid) == {"T0WORKSPACE", "E0ORG"}  # the clicking user's own team does not count
    assert request_teams({"team_id": "T1", "enterprise_id": None}) == {"T1"}


# ------------------------------------------------------------------ Slack Connect (issue 22 item 19)
import json  # noqa: E402
from urllib.parse import urlencode  # noqa: E402


def click_as(ws, user, user_team, *, enterprise=None):
    """A button pressed in our workspace by someone whose own team is `user_team` (as Slack
    sends it for a Slack Connect channel: the top-level team is ours, user.team_id theirs)."""
    payload = {"type": "block_actions", "team": {"id": "T0LOCAL", "domain": "local"},
               "user": {"id": user, "username": user, "team_id": user_team}, "api_app_id": "A0LOCAL",
               "trigger_id": "1.2.abc", "channel": {"id": ws.channel("general"), "name": "general"},
               "container": {"type": "message", "message_ts": "", "channel_id": ws.channel("general")},
               "message": {}, "response_url": ws.fake.response_url(ws.channel("general"), user),
               "actions": [{"type": "button", "action_id": "incident_join", "block_id": "b", "value": "1",
                            "action_ts": "1.0"}]}
    if enterprise:
        payload["enterprise"] = {"id": enterprise}
    return ws.sender.send(urlencode({"payload": json.dumps(payload)}))


def test_a_slack_connect_user_from_another_org_is_refused_in_our_own_channels(guarded):
    stranger = guarded.fake.add_user("mallory", team_id="T0PARTNER")
    assert click_as(guarded, stranger, "T0PARTNER").status == 403
    command = guarded.sender.command("/incident", "declare Planted by a partner", user=stranger,
                                     channel=guarded.channel("general"))  # no user team in a command: users.info
    assert command.status == 403
    event = {"type": "app_mention", "user": stranger, "user_team": "T0PARTNER", "source_team": "T0PARTNER",
             "text": "<@UBOT> help", "ts": "2.000100", "channel": guarded.channel("general"), "event_ts": "2.000100"}
    assert guarded.sender.event(event, event_id="EvConnect").status == 403
    assert guarded.settle()
    assert guarded.services.incidents.count() == 0 and guarded.fake.calls_to("chat.postMessage") == []
    assert 'firebreak_rejected_requests_total{reason="team"} 3.0' in guarded.services.telemetry.exposition().decode()


def test_a_slack_connect_user_whose_team_is_allowed_may_act(settings):
    slack = settings.config.slack.model_copy(update={"team_id": "T0LOCAL", "allowed_teams": ["T0PARTNER"]})
    ws = local_workspace(dataclasses.replace(settings, config=settings.config.model_copy(update={"slack": slack})),
                         threads=2)
    try:
        partner = ws.fake.add_user("pat", team_id="T0PARTNER")
        ack_body(ws.sender.command("/incident", "help", user=partner, channel=ws.channel("general")))
        assert click_as(ws, partner, "T0PARTNER").status == 200
    finally:
        ws.stop()


def test_a_grid_orgs_own_workspaces_pass_through_users_info(settings):
    """slack.team_id is the org (E…); a member's request names their workspace (T…), which
    users.info's enterprise_user places inside the org."""
    ws = workspace_with_team(settings, "E0ORG")
    try:
        member = ws.fake.add_user("gail", team_id="T0WS2", enterprise_user={"enterprise_id": "E0ORG",
                                                                          "teams": ["T0WS2"]})
        outsider_ = ws.fake.add_user("olaf", team_id="T0ELSE", enterprise_user={"enterprise_id": "E0OTHER",
                                                                              "teams": ["T0ELSE"]})
        assert click_as(ws, member, "T0WS2", enterprise="E0ORG").status == 200
        assert click_as(ws, outsider_, "T0ELSE", enterprise="E0ORG").status == 403
    finally:
        ws.stop()
