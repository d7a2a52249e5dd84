"""The console as a first real use meets it (issue 11, items 19-22): select menus by their
labels, the clock running locally and fast-forwarded, uploaded files readable, and output
that stays out of the prompt's way."""

import io
import logging
import queue
import threading
from datetime import datetime, timedelta, timezone

import pytest

from composition import local_workspace
from core.clock import OffsetClock
from local.console import CHATTY_LOGGERS, Console, parse_duration, quiet_libraries
from tests.conftest import REPO
from tests.support.findings import unpaced

GUARDDUTY = REPO / "tests" / "core" / "findings" / "fixtures" / "guardduty"


@pytest.fixture
def console(workspace):
    out = io.StringIO()
    return Console(workspace, stdin=io.StringIO(""), stdout=out), out


def _since(out: io.StringIO, mark: int) -> str:
    return out.getvalue()[mark:]


def _menu(workspace, con, options, pressed):
    """A message with one static select; returns the select's number on screen."""
    workspace.bolt.action("demo_menu")(lambda ack, body: (ack(), pressed.append(body["actions"][0])))
    element = {"type": "static_select", "action_id": "demo_menu", "placeholder": {"type": "plain_text", "text": "Pick"},
               "options": [{"text": {"type": "plain_text", "text": label}, "value": value} for label, value in options]}
    workspace.bolt.client.chat_postMessage(channel=workspace.channel("general"), text="menu",
                                           blocks=[{"type": "actions", "elements": [element]}])
    workspace.settle()
    return max(n for n, (c, _, _) in con.controls.items() if c.action_id == "demo_menu")


# ---------------------------------------------------------------- 19: options by label or number
def test_press_matches_an_option_by_its_whole_label_in_any_case(console, workspace):
    con, out = console
    pressed = []
    n = _menu(workspace, con, [("1 h · this finding", "p:1h"), ("1 d · this finding", "p:1d"),
                               ("1 d · this type on this resource", "p:type:1d")], pressed)
    con.handle(f":press {n} 1 D ·  This Finding")  # case and spacing do not matter; the whole label does
    con.handle(f":press {n} 1 d · this type on this resource")
    assert [a["selected_option"]["value"] for a in pressed] == ["p:1d", "p:type:1d"]
    assert pressed[0]["selected_option"]["text"]["text"] == "1 d · this finding"


def test_press_takes_the_options_number_and_lists_them_when_nothing_matches(console, workspace):
    con, out = console
    pressed = []
    n = _menu(workspace, con, [("#1 Ongoing", "7"), ("#2 Older", "8")], pressed)
    con.handle(f":press {n} 2")  # the second option, not a value
    assert [a["selected_option"]["value"] for a in pressed] == ["8"]
    mark = len(out.getvalue())
    con.handle(f":press {n} 1 h")  # only the first word of a label: no longer guessed
    con.handle(f":press {n}")
    shown = _since(out, mark)
    assert "no option '1 h'; choose one of these (by its label or its number):" in shown
    assert "  1. #1 Ongoing\n  2. #2 Older" in shown and shown.count("2. #2 Older") == 2
    assert len(pressed) == 1


def test_a_real_triage_menu_is_usable_from_the_console(console, workspace):
    con, out = console
    con.handle(f":ingest {GUARDDUTY / 'gd_raw_bitcoin_dns_lowercase.json'}")
    workspace.settle()
    [snooze] = [n for n, (c, _, _) in con.controls.items() if c.label == "Snooze"]
    con.handle(f":press {snooze} 1 d · this finding")
    workspace.settle()
    assert "Snoozed this finding for 1 d" in out.getvalue()


def test_form_selects_take_labels_and_numbers_too(console, workspace):
    con, out = console
    con.handle("/incident declare")
    workspace.settle()
    numbers = {c.block_id: n for n, c in con.form["inputs"].items()}
    severity = con.form["inputs"][numbers["severity"]]
    con.handle(f":set {numbers['severity']} 1")
    assert con.form["values"][numbers["severity"]] == severity.options[0][1]


# ---------------------------------------------------------------- 20: the clock, locally
def test_offset_clock_follows_the_system_time_and_only_moves_forward():
    clock = OffsetClock()
    before = datetime.now(timezone.utc)
    assert before <= clock.now() <= datetime.now(timezone.utc)
    moved = clock.advance(minutes=30)
    assert clock.offset == timedelta(minutes=30) and moved >= before + timedelta(minutes=30)
    with pytest.raises(ValueError):
        clock.advance(minutes=-1)
    assert parse_duration("+30m") == timedelta(minutes=30) and parse_duration("+1d12h") == timedelta(days=1.5)
    assert parse_duration("+2h") == timedelta(hours=2) and parse_duration("soon") is None


@pytest.fixture
def clocked(settings):
    ws = local_workspace(settings, threads=2, with_clock=True)
    out = io.StringIO()
    yield ws, Console(ws, stdin=io.StringIO(""), stdout=out), out
    ws.stop()


def test_fast_forward_shows_the_reminder_and_the_escalation_at_once(clocked):
    ws, con, out = clocked
    assert ws.runs_clock and isinstance(ws.clock, OffsetClock)
    con.handle("/incident declare sev1 Root console login")
    ws.settle()
    mark = len(out.getvalue())
    con.handle(":clock +31m")  # no waiting for the scheduler's next tick: it is on screen now
    shown = _since(out, mark)
    assert "#inc-001-root-console-login · Firebreak" in shown
    assert "has had no status update for *31m*; one is due every 30m" in shown
    assert "(31m ahead of this computer's clock)" in shown and "Sweeps: update-reminders 1" in shown
    mark = len(out.getvalue())
    con.handle(":clock +4h")
    shown = _since(out, mark)
    assert "*SLA breached*" in shown and "was not contained within 4h00m" in shown
    con.handle(":clock +1d")
    [incident] = ws.services.incidents.recent()
    assert [e.kind for e in ws.services.incidents.timeline(incident.id)].count("sla_breach") == 1  # once


def test_clock_alone_prints_the_bot_time_and_bad_steps_are_explained(clocked):
    ws, con, out = clocked
    con.handle(":clock")
    assert "Bot time: " in out.getvalue() and "ahead" not in out.getvalue()
    for step in ("-5m", "soon", "+0m", "30m"):
        con.handle(f":clock {step}")
    assert out.getvalue().count("! :clock +30m moves the bot's time forward") == 4
    assert ws.clock.offset == timedelta(0)
    con.handle(":clock +2h")
    assert "Bot time: " in out.getvalue() and "(2h ahead of this computer's clock)" in out.getvalue()
    assert "Sweeps: nothing was due" in out.getvalue()


def test_without_the_scheduler_the_console_says_nothing_will_remind(console, workspace):
    con, out = console
    con.handle(":clock +1h")
    assert "(1h ahead" in out.getvalue() and "the scheduler does not run in this workspace" in out.getvalue()


def test_stopping_the_workspace_stops_its_clock(settings):
    ws = local_workspace(settings, threads=2, with_clock=True)
    assert any(t.name == "local-clock" for t in threading.enumerate())
    ws.stop()
    assert not any(t.name == "local-clock" and t.is_alive() for t in threading.enumerate())


# ---------------------------------------------------------------- 21: uploaded files
def test_the_postmortem_document_can_be_opened(console, workspace):
    con, out = console
    con.handle("/incident declare sev2 Leaked CI key")
    workspace.settle()
    con.handle(":in #inc-001-leaked-ci-key")
    con.handle("/incident resolve")
    workspace.settle()
    con.handle("/incident postmortem")
    workspace.settle()
    numbers = {c.block_id: n for n, c in con.form["inputs"].items()}
    con.handle(f":set {numbers['summary']} Key committed to a public repo")
    con.handle(f":set {numbers['root_cause']} No secret scanning")
    con.handle(":submit")
    workspace.settle()
    [number] = [n for n, (c, _, _) in con.controls.items() if c.kind == "file"]
    assert f"[{number} file: postmortem-incident-1.md]" in out.getvalue() and f"(:open {number})" in out.getvalue()
    mark = len(out.getvalue())
    con.handle(f":open {number}")
    shown = _since(out, mark)
    assert shown.startswith("── postmortem-incident-1.md")
    assert "# Incident #1: Leaked CI key" in shown and "Key committed to a public repo" in shown
    assert "### Root cause\n\nNo secret scanning" in shown
    con.handle(":open 999")
    assert "! no file 999 on screen" in out.getvalue()


def test_uploaded_files_survive_a_restart_of_the_workspace(tmp_path):
    from local.fake_slack import FakeSlack

    fake = FakeSlack()
    fake.files["F1"] = {"name": "a.md", "title": "A", "content": b"# A\n\xe2\x9c\x93 done", "channel": "C1"}
    fake.save(tmp_path / "state.json")
    again = FakeSlack()
    assert again.load(tmp_path / "state.json") and again.file("F1")["content"] == "# A\n✓ done".encode()


# ---------------------------------------------------------------- 22: output, ingest, unpin
class _Typing(io.TextIOBase):
    """Standard input a test types into; records each time the console starts waiting for a line."""

    def __init__(self):
        self.lines, self.waiting = queue.Queue(), queue.Queue()

    def readline(self, *_):
        self.waiting.put(True)
        return self.lines.get(timeout=20)

    def isatty(self):
        return False


def test_output_arriving_at_the_prompt_is_printed_above_it_and_the_prompt_redrawn(workspace):
    typing, out = _Typing(), io.StringIO()
    con = Console(workspace, stdin=typing, stdout=out, interactive=True)
    runner = threading.Thread(target=con.run)
    runner.start()
    try:
        typing.waiting.get(timeout=10)  # the prompt is up
        assert out.getvalue().endswith("alice@#general> ")
        workspace.bolt.client.chat_postMessage(channel=workspace.channel("general"), text="Something happened")
        assert out.getvalue().endswith(
            "alice@#general> \r\x1b[K\n#general · Firebreak\n  Something happened\nalice@#general> ")
        logging.getLogger("firebreak.test").warning("the disk is full")  # logs go above the prompt too
        assert out.getvalue().endswith("the disk is full\nalice@#general> ")
    finally:
        typing.lines.put(":quit\n")
        runner.join(10)
    assert out.getvalue().endswith("Bye.\n")


def test_library_info_lines_are_quieted_in_console_mode():
    probed = ("alembic.runtime.migration", "botocore.credentials", "urllib3.connectionpool", "waitress")
    names = set(CHATTY_LOGGERS) | set(probed) | {"alembic.runtime"}
    saved = {name: logging.getLogger(name).level for name in names}
    root_level = logging.getLogger().level
    try:
        for name in names:  # as a freshly started bot has them: INFO at the root, nothing else set
            logging.getLogger(name).setLevel(logging.NOTSET)
        logging.getLogger().setLevel(logging.INFO)
        quiet_libraries()
        for name in probed:
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
            assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        logging.getLogger().setLevel(root_level)


def _ingested(text: str) -> list[str]:
    return [line.split(":")[0].rsplit("/", 1)[-1] for line in text.splitlines() if ": rejected: " in line]


def test_ingest_takes_a_directory_or_a_glob_in_name_order(settings, tmp_path):
    workspace = local_workspace(unpaced(settings), threads=4)
    try:
        _ingest_a_directory_or_a_glob(workspace, tmp_path)
    finally:
        workspace.stop()


def _ingest_a_directory_or_a_glob(workspace, tmp_path):
    out = io.StringIO()
    con = Console(workspace, stdin=io.StringIO(""), stdout=out)
    names = sorted(p.name for p in GUARDDUTY.glob("*.json"))
    con.handle(f":ingest {GUARDDUTY}")
    workspace.settle()
    assert _ingested(out.getvalue()) == names
    mark = len(out.getvalue())
    con.handle(f":ingest {GUARDDUTY}/gd_raw_*.json")
    assert _ingested(_since(out, mark)) == [n for n in names if n.startswith("gd_raw_")]
    con.handle(f":ingest {tmp_path}")
    con.handle(f":ingest {tmp_path}/*.json")
    assert f"! {tmp_path}: no *.json files in that directory" in out.getvalue()
    assert f"! {tmp_path}/*.json: no file matches" in out.getvalue()


def test_unpin_of_a_message_never_pinned_says_so(console, workspace):
    con, out = console
    con.handle("/incident declare Pins")
    workspace.settle()
    con.handle(":in #inc-001-pins")
    con.handle("Attacker used 198.51.100.7")
    con.handle(":unpin")
    assert "! that message was never pinned: nothing to unpin" in out.getvalue()
    con.handle(":pin")
    con.handle(":pin")
    assert "! you pinned that message already (:unpin removes it)" in out.getvalue()
    con.handle(":as bob")
    con.handle(":unpin")
    assert "! you never pinned that message; only alice did (:as NAME to act as them)" in out.getvalue()
    workspace.settle()
    [incident] = workspace.services.incidents.recent()
    assert [e.kind for e in workspace.services.incidents.timeline(incident.id)].count("pin") == 1
