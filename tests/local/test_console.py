"""The local console: typing as a user drives the real bot over signed HTTP."""

import io
import time

import pytest

from local.console import Console


@pytest.fixture
def console(workspace):
    out = io.StringIO()
    return Console(workspace, stdin=io.StringIO(""), stdout=out), out


def _wait_for(out, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in out.getvalue():
            return
        time.sleep(0.02)
    raise AssertionError(f"{text!r} not printed; console shows:\n{out.getvalue()}")


def test_help_command_prints_usage_as_ephemeral(console):
    con, out = console
    con.handle("/incident help")
    assert "(only visible to you)" in out.getvalue() and "/incident declare" in out.getvalue()


def test_declare_as_another_user_in_another_channel(console, workspace):
    con, out = console
    con.handle(":as bob")
    con.handle(":in #incidents")
    assert con.prompt() == "bob@#incidents> "
    con.handle("/incident declare sev1 Root console login")
    _wait_for(out, "#incidents · Firebreak")
    [incident] = workspace.services.incidents.recent()
    assert incident.declared_by == workspace.user("bob") and incident.origin_channel == workspace.channel("incidents")
    assert "#incidents · Firebreak" in out.getvalue() and "@bob" in out.getvalue()


def test_mention_reaches_the_bot_as_an_event(console, workspace):
    con, out = console
    con.handle("@firebreak what do I do?")
    _wait_for(out, "/incident help")
    assert "in thread" in out.getvalue()


def test_pressing_a_numbered_button_sends_a_signed_block_action(console, workspace):
    con, out = console
    blocks = [{"type": "actions", "elements": [
        {"type": "button", "action_id": "demo_ack", "value": "42", "text": {"type": "plain_text", "text": "Ack"}}]}]
    workspace.bolt.action("demo_ack")(lambda ack, body: (ack(), pressed.append(body)))
    pressed = []
    workspace.bolt.client.chat_postMessage(channel=workspace.channel("general"), text="x", blocks=blocks)
    _wait_for(out, "[1 Ack]")
    con.handle("1")
    assert pressed and pressed[0]["actions"][0]["value"] == "42"
    assert pressed[0]["user"]["id"] == workspace.user("alice")


def test_console_mistakes_get_plain_answers(console):
    con, out = console
    for line in (":as mallory", ":in #nowhere", ":press 9", "/deploy prod", ":frobnicate"):
        assert con.handle(line) is True
    text = out.getvalue()
    assert "no user 'mallory'" in text and "no channel #nowhere" in text and "no control 9" in text
    assert "/deploy is not a Firebreak command" in text and "unknown console command" in text


def test_quit_and_end_of_input_stop_the_console(workspace):
    out = io.StringIO()
    Console(workspace, stdin=io.StringIO("/incident help\n"), stdout=out).run()
    assert out.getvalue().rstrip().endswith("Bye.")
    assert Console(workspace, stdout=io.StringIO()).handle(":quit") is False
