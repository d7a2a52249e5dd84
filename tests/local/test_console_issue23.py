"""Issue 23 item 8: the console's form selects answer to :press, :clock jumps outlive a
restart of the workspace, and the fake Slack's and the sandbox's ports can be chosen."""

import io
import socket

import pytest

from composition import local_workspace, sandbox
from local.console import Console
from tests.support.slack import eventually


@pytest.fixture
def console(workspace):
    out = io.StringIO()
    return Console(workspace, stdin=io.StringIO(""), stdout=out), out


def test_item8_press_chooses_an_option_of_a_select_in_the_open_form(console, workspace):
    con, out = console
    con.handle("/incident declare")
    workspace.settle()
    assert ":press N OPTION" in out.getvalue()
    numbers = {c.block_id: n for n, c in con.form["inputs"].items()}
    con.handle(f":press {numbers['severity']} sev1")
    assert con.form["values"][numbers["severity"]] == "sev1"
    con.handle(f":press {numbers['title']} x")
    assert f"field {numbers['title']} is a text field: :set {numbers['title']} TEXT fills it" in out.getvalue()
    con.handle(f":set {numbers['title']} Root login from Tor")
    con.handle(":submit")
    [incident] = eventually(lambda: workspace.services.incidents.recent())
    assert incident.severity == "sev1" and incident.title == "Root login from Tor"


def test_item8_clock_jumps_are_kept_across_a_restart(settings, tmp_path):
    state = tmp_path / "local-slack.json"
    first = local_workspace(settings, threads=2, state_file=state)
    try:
        con = Console(first, stdin=io.StringIO(""), stdout=io.StringIO())
        con.handle(":clock +2h")
        assert first.clock.offset.total_seconds() >= 7200
    finally:
        first.stop()
    second = local_workspace(settings, threads=2, state_file=state)
    try:
        out = io.StringIO()
        Console(second, stdin=io.StringIO(""), stdout=out).handle(":clock")
        assert second.clock.offset.total_seconds() >= 7200 and "2h ahead of this computer's clock" in out.getvalue()
    finally:
        second.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_item8_the_fake_slack_port_can_be_chosen(settings):
    port = _free_port()
    ws = local_workspace(settings, threads=2, slack_port=port)
    try:
        assert ws.fake.api_url.startswith(f"http://127.0.0.1:{port}")
    finally:
        ws.stop()


def test_item8_the_sandbox_port_reaches_the_sandbox(monkeypatch):
    asked = {}

    def start(estate, host="127.0.0.1", port=0, state=None, saved=None):
        asked["port"] = port
        raise sandbox.aws_sandbox.SandboxError("not in this test")

    monkeypatch.setattr(sandbox.aws_sandbox, "start", start)
    monkeypatch.setattr(sandbox.aws_sandbox, "has_credentials", lambda: False)
    chosen = sandbox.for_local_workspace({}, record=None, port=45123)
    assert asked == {"port": 45123} and "no AWS sandbox" in chosen.notice


def test_item8_bot_py_local_takes_the_three_ports():
    from cli.parser import build_parser

    args = build_parser().parse_args(["local", "--port", "3000", "--slack-port", "3001", "--sandbox-port", "3002"])
    assert (args.port, args.slack_port, args.sandbox_port) == (3000, 3001, 3002)
