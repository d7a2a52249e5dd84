"""The fake Slack answers like Slack, including when things go wrong, through the real
slack_sdk client the bot uses."""

import time

import pytest
from slack_sdk.errors import SlackApiError

from handlers.app import build_client
from local.fake_slack import FakeSlack


@pytest.fixture
def fake():
    slack = FakeSlack(token="xoxb-test").serve()
    yield slack
    slack.stop()


@pytest.fixture
def client(fake):
    return build_client("xoxb-test", fake.api_url)


def _error(call):
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response["error"]


def test_records_calls_with_parsed_bodies(fake, client):
    cid = fake.add_channel("general")
    client.chat_postMessage(channel=cid, text="hi", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    [call] = fake.calls_to("chat.postMessage")
    assert call.body["channel"] == cid and call.body["blocks"][0]["type"] == "section"
    assert fake.messages("general")[0]["text"] == "hi"


def test_channel_errors(fake, client):
    assert _error(lambda: client.chat_postMessage(channel="C404", text="x")) == "channel_not_found"
    client.conversations_create(name="inc-001-root-login")
    assert _error(lambda: client.conversations_create(name="inc-001-root-login")) == "name_taken"
    assert _error(lambda: client.conversations_create(name="Has Spaces")) == "invalid_name_specials"
    private = fake.add_channel("secret", private=True, bot=False)
    assert _error(lambda: client.chat_postMessage(channel=private, text="x")) == "not_in_channel"
    assert _error(lambda: client.conversations_invite(channel=private, users="U1")) == "not_in_channel"


def test_invalid_token_is_invalid_auth(fake):
    assert _error(lambda: build_client("xoxb-wrong", fake.api_url).auth_test()) == "invalid_auth"


def test_injected_failure_happens_once(fake, client):
    cid = fake.add_channel("general")
    fake.fail("chat.postMessage", "not_in_channel")
    assert _error(lambda: client.chat_postMessage(channel=cid, text="x")) == "not_in_channel"
    assert client.chat_postMessage(channel=cid, text="x")["ok"] is True


def test_rate_limit_answers_429_with_retry_after_and_client_waits(fake, client):
    cid = fake.add_channel("general")
    fake.rate_limit("chat.postMessage", retry_after=1, times=1)
    started = time.monotonic()
    response = client.chat_postMessage(channel=cid, text="after the wait")
    assert response["ok"] is True
    assert time.monotonic() - started >= 0.9  # honoured Retry-After
    assert len(fake.calls_to("chat.postMessage")) == 2
    assert fake.messages("general")[-1]["text"] == "after the wait"


def test_rate_limit_is_visible_to_a_client_without_retries(fake):
    from slack_sdk import WebClient

    cid = fake.add_channel("general")
    fake.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        WebClient(token="xoxb-test", base_url=fake.api_url).chat_postMessage(channel=cid, text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers.get("Retry-After") == "7"


def test_too_many_blocks_is_rejected_like_slack(fake, client):
    cid = fake.add_channel("general")
    blocks = [{"type": "divider"}] * 51
    assert _error(lambda: client.chat_postMessage(channel=cid, text="x", blocks=blocks)) == "invalid_blocks"


def test_update_pins_topic_and_views(fake, client):
    cid = fake.add_channel("general")
    ts = client.chat_postMessage(channel=cid, text="v1")["ts"]
    client.chat_update(channel=cid, ts=ts, text="v2")
    assert fake.messages("general")[0]["text"] == "v2"
    client.pins_add(channel=cid, timestamp=ts)
    assert _error(lambda: client.pins_add(channel=cid, timestamp=ts)) == "already_pinned"
    client.conversations_setTopic(channel=cid, topic="SEV1 · containment")
    assert client.conversations_info(channel=cid)["channel"]["topic"]["value"] == "SEV1 · containment"
    assert _error(lambda: client.views_open(trigger_id="", view={"type": "modal"})) == "invalid_trigger_id"
    view = client.views_open(trigger_id="t1", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}})
    assert view["view"]["id"] in fake.views


def test_wait_for_reports_what_happened_instead(fake, client):
    cid = fake.add_channel("general")
    client.chat_postMessage(channel=cid, text="x")
    with pytest.raises(AssertionError, match="chat.postMessage"):
        fake.wait_for("views.open", timeout=0.2)
