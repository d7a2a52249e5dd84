"""The local console: typing as a user drives the real bot over signed HTTP."""

import io
import time

import pytest

from local.console import Console
from tests.support.slack import eventually


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


def test_the_declare_form_can_be_filled_and_submitted(console, workspace):
    con, out = console
    con.handle("/incident declare")
    _wait_for(out, "[modal] Declare an incident")
    numbers = {c.block_id: n for n, c in con.form["inputs"].items()}
    con.handle(f":set {numbers['title']} Miner on build host")
    con.handle(f":set {numbers['severity']} sev9")  # not an option: refused, form stays open
    assert "choose one of" in out.getvalue()
    con.handle(f":set {numbers['severity']} sev1")
    con.handle(":submit")
    _wait_for(out, "#inc-001-miner-on-build-host · Firebreak")
    [incident] = workspace.services.incidents.recent()
    assert (incident.title, incident.severity) == ("Miner on build host", "sev1")


def test_an_empty_form_shows_the_bots_complaint(console):
    con, out = console
    con.handle("/incident declare")
    _wait_for(out, "[modal]")
    con.handle(":submit")
    assert "title: An incident needs a title." in out.getvalue() and con.form is not None


def test_pin_and_role_mentions_from_the_console(console, workspace):
    con, out = console
    con.handle("/incident declare Pinned things")
    _wait_for(out, "#inc-001-pinned-things · Firebreak")
    con.handle(":in #inc-001-pinned-things")
    con.handle("Attacker used 198.51.100.7")
    con.handle(":pin")
    [incident] = workspace.services.incidents.recent()
    pins = lambda: [e for e in workspace.services.incidents.timeline(incident.id) if e.kind == "pin"]  # noqa: E731
    [entry] = eventually(pins)
    assert entry.text == "Attacker used 198.51.100.7" and entry.actor == workspace.user("alice")
    con.handle(":unpin")
    eventually(lambda: not pins())
    con.handle("/incident role scribe @bob")
    eventually(lambda: workspace.services.incidents.get(incident.id).roles.get("scribe") == workspace.user("bob"))


def test_local_workspace_survives_a_restart(settings, tmp_path):
    from composition import local_workspace

    state = tmp_path / "slack.json"
    first = local_workspace(settings, threads=2, state_file=state)
    first.sender.command("/incident", "declare Kept", user=first.user("alice"), channel=first.channel("general"))
    incident = eventually(lambda: next((i for i in first.services.incidents.recent() if i.announce_ts), None))
    alice = first.user("alice")
    first.stop()
    second = local_workspace(settings, threads=2, state_file=state)
    try:
        assert second.user("alice") == alice
        assert second.fake.channels[incident.channel_id].name == "inc-001-kept"
        second.sender.command("/incident", "note still here", user=alice, channel=incident.channel_id)
        eventually(lambda: any(e.text == "still here" for e in second.services.incidents.timeline(incident.id)))
    finally:
        second.stop()


def test_findings_can_be_ingested_from_the_console(console, workspace):
    from tests.conftest import REPO

    con, out = console
    sample = next((REPO / "tests" / "core" / "findings" / "fixtures" / "guardduty").glob("*.json"))
    con.handle(f":ingest {sample}")
    _wait_for(out, "#security-triage · Firebreak")
    assert "Declare" in out.getvalue()  # the triage message's buttons are numbered and pressable
    con.handle(":ingest /nonexistent.json")
    assert "cannot read" in out.getvalue()


def test_in_a_private_channel_you_are_not_a_member_of_is_refused(console, workspace):
    """Issue 23 item 3: as in Slack, a private incident's channel is only for its members."""
    con, out = console
    con.handle("/incident declare private sev2 Payroll export leaked")
    incident = eventually(lambda: next((i for i in workspace.services.incidents.recent() if i.announce_ts), None))
    eventually(lambda: workspace.user("alice") in workspace.fake.channels[incident.channel_id].members)
    con.handle(":as bob")
    con.handle(f":in #{incident.channel_name}")
    assert f"#{incident.channel_name} is a private channel and bob is not a member" in out.getvalue()
    assert con.prompt() != f"bob@#{incident.channel_name}> "
    con.handle(":channels")
    assert f"#{incident.channel_name}" not in out.getvalue().splitlines()[-1]
    con.handle(":as alice")
    con.handle(f":in #{incident.channel_name}")
    assert con.prompt() == f"alice@#{incident.channel_name}> ", "its declarer is a member"
