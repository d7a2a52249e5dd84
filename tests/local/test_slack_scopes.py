"""The scope table (local/slack_scopes.py) covers every Web API method the code calls and
every method the fake Slack serves, so nobody can add a Slack call without its scopes."""

from __future__ import annotations

import inspect

from local.fake_slack import FakeSlack
from local.slack_scopes import METHOD_SCOPES
from tests.conftest import REPO
from tests.support.slack_calls import methods_called, methods_in_source


def test_every_web_api_method_the_code_calls_has_its_scopes_in_the_table():
    called = methods_called(REPO)
    unlisted = {m: places for m, places in called.items() if m not in METHOD_SCOPES}
    assert not unlisted, ("add these methods' bot scopes (Slack's method reference) to local/slack_scopes.py; "
                          f"a call whose method cannot be read statically is under '?api_call': {unlisted}")
    # The scan sees the calls this check exists for, however the code spells them.
    assert any(p.startswith("handlers/directory.py") for p in called["users.info"])
    assert any(p.startswith("handlers/chat.py") for p in called["conversations.members"])
    assert any(p.startswith("handlers/chat.py") for p in called["files.completeUploadExternal"])  # files_upload_v2
    assert any(p.startswith("handlers/jobs/reply.py") for p in called["chat.postMessage"])  # the reply port's say()
    assert any(p.startswith("handlers/app.py") for p in called["auth.test"])  # Bolt's App asks who the bot is


def test_the_scan_finds_a_call_however_it_is_spelled():
    source = '''
from slack_bolt import App

def work(client, say, sqs):
    client.api_call("pins.remove", params={})
    client.api_call(api_method="reactions.add")
    getattr(client, "users_list")()
    post = client.chat_update
    self.client.files_upload_v2(channel="C1", content="x")
    say(text="hi")
    App(token="x")
    sqs.send_message(QueueUrl="q", MessageBody="m")
    client.api_call(name_from_somewhere)

class Budgeted(WebClient):
    def api_call(self, api_method, **kwargs):
        return super().api_call(api_method, **kwargs)  # forwards its caller's method: not a call of its own
'''
    found = methods_in_source(source, "example.py")
    assert set(found) == {"pins.remove", "reactions.add", "users.list", "chat.update", "files.getUploadURLExternal",
                          "files.completeUploadExternal", "chat.postMessage", "auth.test", "?api_call"}
    assert found["?api_call"] == ["example.py:13"]


def test_every_method_the_fake_serves_has_its_scopes_in_the_table():
    served = {name.removeprefix("api_").replace("_", ".") for name in dir(FakeSlack)
              if name.startswith("api_") and inspect.isfunction(getattr(FakeSlack, name))}
    assert "users.info" in served and "conversations.members" in served
    assert served - set(METHOD_SCOPES) == set()
