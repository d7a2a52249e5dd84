"""Slack at start-up: which failures are transient and which refuse the token (constructed
responses, then the real client against the fake Slack answering 500, 429 and ok:false),
and a bot built while Slack fails: it acknowledges and queues commands, answers events 503
until the token is confirmed, then takes events and still ignores its own."""

import dataclasses
import types
from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

import composition
from composition.startup import SlackStartup
from core.startup import StartupRefused
from handlers.app import startup_client
from web.server import RunningServer
from handlers.startup import ask_identity, refused_message, slack_failure
from local.fake_slack import FakeSlack
from local.slack_sender import SlackSender


def _api_error(status: int, data, headers=None) -> SlackApiError:
    response = SlackResponse(client=None, http_verb="POST", api_url="https://slack.test/api/auth.test", req_args={},
                             data=data, headers=headers or {}, status_code=status)
    return SlackApiError("The request to the Slack API failed.", response)


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "account_inactive", "token_revoked",
                                   "token_expired"])
def test_a_refused_token_is_definitive_and_named(error):
    failure = slack_failure(_api_error(200, {"ok": False, "error": error}))
    assert failure.definitive and failure.reason == error
    assert f"`{error}`" in refused_message(failure) and "Slack did not accept the bot token" in refused_message(failure)


@pytest.mark.parametrize("exc, reason", [
    (_api_error(500, {"ok": False, "error": "internal_error"}), "HTTP 500 internal_error"),
    (_api_error(502, {"ok": False, "error": "Received a response in a non-JSON format: <html>"}), "HTTP 502"),
    (_api_error(503, {}), "HTTP 503"),
    (_api_error(200, {"ok": False, "error": "fatal_error"}), "ok:false fatal_error"),
    (_api_error(200, {"ok": False, "error": "service_unavailable"}), "ok:false service_unavailable"),
    (TimeoutError("The read operation timed out"), "timed out"),
    (URLError(TimeoutError("timed out")), "timed out"),
    (URLError(ConnectionRefusedError(111, "Connection refused")), "cannot connect: [Errno 111] Connection refused"),
    (ConnectionResetError(104, "Connection reset by peer"), "connection failed: ConnectionResetError: "
                                                            "[Errno 104] Connection reset by peer"),
])
def test_trouble_on_slacks_side_is_transient(exc, reason):
    failure = slack_failure(exc)
    assert not failure.definitive and failure.reason == reason and failure.retry_after is None


def test_a_429_is_transient_and_carries_its_retry_after():
    failure = slack_failure(_api_error(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "12"}))
    assert not failure.definitive and failure.retry_after == 12.0 and "429" in failure.reason


def test_anything_else_is_not_slacks_to_judge():
    assert slack_failure(ValueError("a bug")) is None


@pytest.fixture
def fake():
    slack = FakeSlack(token="xoxb-start-9f8e7d6c").serve()
    yield slack
    slack.stop()


def test_the_start_up_client_against_the_fake_slack(fake):
    client = startup_client(fake.token, fake.api_url)

    def outcome():
        try:
            return ask_identity(client)
        except Exception as exc:  # noqa: BLE001 - classified below
            return slack_failure(exc)

    fake.outage(500)
    assert outcome().reason == "HTTP 500 internal_error"
    fake.outage(503)
    assert outcome().reason == "HTTP 503 internal_error"
    fake.outage(None)
    fake.rate_limit("auth.test", retry_after=3)
    limited = outcome()
    assert not limited.definitive and limited.retry_after == 3.0  # one call: the client itself does not retry
    fake.fail("auth.test", "token_revoked")  # once
    assert outcome().definitive
    assert outcome() == {**outcome(), "user_id": "UBOT", "team_id": "T0LOCAL", "bot_id": "B0LOCAL"}
    wrong = slack_failure(_call(startup_client("xoxb-wrong-1234", fake.api_url)))
    assert wrong.definitive and wrong.reason == "invalid_auth"
    assert len(fake.calls_to("auth.test")) == 7


def _call(client):
    try:
        ask_identity(client)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("auth.test answered")


@pytest.fixture
def failing_bot(settings, fake):
    """A bot built (and serving) while Slack answers 500 for everything."""
    fake.outage(500)
    secrets = dataclasses.replace(settings.secrets, slack_bot_token=fake.token, slack_signing_secret="s" * 32,
                                  slack_api_url=fake.api_url)
    process = composition.build(dataclasses.replace(settings, secrets=secrets), slack_app=True)
    server = RunningServer(process.web, "127.0.0.1", 0, 2).start()
    yield process, SlackSender(server.url, "s" * 32, response_url=fake.response_url)
    server.stop()
    process.drain()


def test_a_bot_built_while_slack_fails_acks_commands_holds_events_then_takes_them(failing_bot, fake):
    process, sender = failing_bot
    jobs = process.services.repos.jobs
    assert fake.calls == []  # building called nothing
    assert sender.command("/incident", "declare sev2 During the outage", user="U1", channel="C1").status == 200
    assert [j.route for j in jobs.listed()] == ["incident.declare"]
    held = sender.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1", "ts": "1.1"})
    assert held.status == 503 and len(jobs.listed()) == 1  # Slack delivers it again later

    waits = []
    startup = SlackStartup(process, sleep=lambda seconds: waits.append(seconds) or fake.outage(None))
    assert startup.run() and waits == [1]  # failed once (500), answered at the second attempt
    assert process.identity.known and process.identity.bot_user_id == "UBOT"
    assert sender.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1",
                         "ts": "1.2"}).status == 200
    assert sender.event({"type": "app_mention", "user": "UBOT", "text": "<@UBOT>", "channel": "C1",
                         "ts": "1.3"}).status == 200  # the bot's own event: acknowledged, dropped
    assert sorted(j.route for j in jobs.listed()) == ["incident.declare", "incident.mention"]


def test_a_refusal_in_the_background_stops_the_process_and_names_the_error(failing_bot, fake):
    process, _ = failing_bot
    fake.outage(None)
    fake.fail("auth.test", "account_inactive")
    stopped = []
    startup = SlackStartup(process, then=[lambda: stopped.append("then")], on_refused=lambda: stopped.append("stop"))
    startup.start().stop(timeout=10)
    assert stopped == ["stop"] and not process.identity.known
    with pytest.raises(StartupRefused, match="`account_inactive`"):
        startup.raise_if_refused()


def test_nothing_waiting_for_slack_starts_once_the_process_is_stopping(failing_bot, fake):
    process, _ = failing_bot
    started = []
    startup = SlackStartup(process, then=[lambda: started.append("jobs")]).start()
    startup.stop(timeout=10)
    fake.outage(None)
    assert not startup.confirmed.wait(1.5) and started == [] and startup.error is None


def test_the_wait_between_tries_is_capped_by_the_configured_maximum(settings):
    """slack.startup_retry_max_seconds: an operator who wants a recovered Slack noticed sooner."""
    config = settings.config.model_copy(update={"slack": settings.config.slack.model_copy(
        update={"startup_retry_max_seconds": 2.0})})
    answers = iter([URLError("connection refused")] * 5 + [{"ok": True, "user_id": "UBOT", "team_id": "T1"}])

    def check():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    answered = []
    process = types.SimpleNamespace(services=types.SimpleNamespace(config=config), slack_check=check,
                                    slack_answered=answered.append)
    waits = []
    assert SlackStartup(process, sleep=lambda seconds: waits.append(seconds) or False).run()
    assert waits == [1, 2, 2, 2, 2] and answered[0]["user_id"] == "UBOT"
