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
    assert fake.channels[cid].topic == "SEV1 · containment"  # conversations.info needs channels:read, not granted
    assert _error(lambda: client.views_open(trigger_id="", view={"type": "modal"})) == "invalid_trigger_id"
    view = client.views_open(trigger_id="t1", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}})
    assert view["view"]["id"] in fake.views


def test_wait_for_reports_what_happened_instead(fake, client):
    cid = fake.add_channel("general")
    client.chat_postMessage(channel=cid, text="x")
    with pytest.raises(AssertionError, match="chat.postMessage"):
        fake.wait_for("views.open", timeout=0.2)


def _refused(call):
    """The answer of a call the fake refused, with its HTTP status and scope headers."""
    with pytest.raises(SlackApiError) as caught:
        call()
    response = caught.value.response
    return response.status_code, dict(response.data), response.headers


def test_a_method_whose_scope_the_token_lacks_is_refused_like_slack():
    fake = FakeSlack(token="xoxb-test", scopes=("chat:write", "commands")).serve()
    try:
        alice = fake.add_user("alice")
        client = build_client("xoxb-test", fake.api_url)
        status, answer, headers = _refused(lambda: client.users_info(user=alice))
        assert status == 200
        assert answer == {"ok": False, "error": "missing_scope", "needed": "users:read",
                          "provided": "chat:write,commands"}
        assert headers.get("X-OAuth-Scopes") == "chat:write,commands"
        [call] = fake.calls_to("users.info")
        assert call.answer == answer and fake.refusals("missing_scope") == [call]
        cid = fake.add_channel("general")
        assert client.chat_postMessage(channel=cid, text="granted")["ok"] is True
    finally:
        fake.stop()


def test_conversation_scopes_depend_on_whether_the_channel_is_public_or_private():
    granted = ("channels:history", "channels:manage", "channels:read")
    fake = FakeSlack(token="xoxb-test", scopes=granted).serve()
    try:
        client = build_client("xoxb-test", fake.api_url)
        public, private = fake.add_channel("general"), fake.add_channel("secret", private=True)
        assert client.conversations_history(channel=public)["ok"] is True
        assert client.conversations_members(channel=public)["ok"] is True
        for call, needed in [(lambda: client.conversations_history(channel=private), "groups:history"),
                             (lambda: client.conversations_members(channel=private), "groups:read"),
                             (lambda: client.conversations_setTopic(channel=private, topic="t"), "groups:write"),
                             (lambda: client.conversations_create(name="inc-002", is_private=True), "groups:write")]:
            _, answer, _ = _refused(call)
            assert (answer["error"], answer["needed"]) == ("missing_scope", needed)
        assert client.conversations_create(name="inc-001")["channel"]["is_private"] is False
        assert fake.channel_id("inc-002") is None  # the refused create made nothing
    finally:
        fake.stop()


def test_a_narrower_scope_slack_accepts_for_a_method_is_enough():
    fake = FakeSlack(token="xoxb-test", scopes=("channels:write.topic",)).serve()
    try:
        client = build_client("xoxb-test", fake.api_url)
        public = fake.add_channel("general")
        client.conversations_setTopic(channel=public, topic="sev1")
        assert fake.channels[public].topic == "sev1"
        _, answer, _ = _refused(lambda: client.conversations_invite(channel=public, users="U1"))
        assert answer["needed"] == "channels:manage"
    finally:
        fake.stop()


def test_posting_to_a_public_channel_the_bot_has_not_joined_needs_chat_write_public():
    fake = FakeSlack(token="xoxb-test", scopes=("chat:write",)).serve()
    public = FakeSlack(token="xoxb-test", scopes=("chat:write", "chat:write.public")).serve()
    try:
        cid = fake.add_channel("incidents", bot=False)
        _, answer, _ = _refused(lambda: build_client("xoxb-test", fake.api_url).chat_postMessage(channel=cid, text="x"))
        assert answer == {"ok": False, "error": "not_in_channel"}
        assert fake.messages("incidents") == []
        other = public.add_channel("incidents", bot=False)
        build_client("xoxb-test", public.api_url).chat_postMessage(channel=other, text="announced")
        assert public.messages("incidents")[0]["text"] == "announced"
    finally:
        fake.stop()
        public.stop()


def test_a_method_missing_from_the_scope_table_fails_loudly(fake, client, caplog):
    with caplog.at_level("ERROR", logger="firebreak.fake_slack"):
        status, answer, _ = _refused(lambda: client.api_call("pins.remove", json={"channel": "C1"}))
    assert status == 500 and answer["error"] == "fake_slack_unlisted_method"
    assert "pins.remove is not in local/slack_scopes.py" in answer["detail"] and "pins.remove" in caplog.text
    assert [c.method for c in fake.refusals("fake_slack_unlisted_method")] == ["pins.remove"]
