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
