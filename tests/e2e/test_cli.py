"""`python bot.py` as a user runs it: every command answers, nothing ends in a trace."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

COMMANDS = [["serve"], ["socket"], ["local"], ["worker"], ["clock"], ["migrate"], ["check-config"],
            ["findings", "normalize"], ["ingest"], ["export"], ["audit", "verify"]]


def run(*args, env_extra=None, stdin="", timeout=60):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "FIREBREAK_")) and k != "DATABASE_URL"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(REPO / "bot.py"), *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=timeout)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0 and "usage: python bot.py" in result.stdout


def test_no_credentials_starts_the_local_workspace_and_it_works(tmp_path):
    script = "/incident declare sev2 Test from the CLI\n:quit\n"
    result = run(env_extra={"DATABASE_URL": f"sqlite:///{tmp_path / 'local.db'}"}, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "embedded local workspace" in result.stdout
    assert "Incident #1: Test from the CLI" in result.stdout and "#inc-001-test-from-the-cli" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_serve_without_credentials_explains_instead_of_failing():
    result = run("serve")
    assert result.returncode == 1
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_serve_with_a_rejected_token_explains(workspace):
    result = run("serve", "--port", "0", env_extra={
        "SLACK_BOT_TOKEN": "xoxb-wrong-token-123", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": workspace.fake.api_url,
        "DATABASE_URL": workspace.settings.secrets.database_url})
    assert result.returncode == 1
    assert "Slack did not accept the bot token" in result.stderr and "invalid_auth" in result.stderr
    assert "xoxb-wrong-token-123" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_socket_without_app_token_explains():
    result = run("socket")
    assert result.returncode == 1 and "SLACK_APP_TOKEN" in result.stderr


def test_migrate_creates_a_fresh_sqlite_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = run("migrate", env_extra={"DATABASE_URL": url})
    assert result.returncode == 0 and "schema is current" in result.stdout
    from store import migrate
    from store.db import Database

    assert migrate.is_current(Database(url))


def test_unreachable_database_is_a_plain_message():
    result = run("migrate", env_extra={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1 and "cannot use the database" in result.stderr
    assert "Traceback" not in result.stderr


FIXTURES = REPO / "tests" / "core" / "findings" / "fixtures"


def test_findings_normalize_prints_json_lines_and_touches_nothing(tmp_path):
    import json

    files = sorted(FIXTURES.glob("*/*.json"))
    assert files
    db = tmp_path / "untouched.db"
    result = run("findings", "normalize", str(files[0]), env_extra={"DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines and all({"id", "source", "type", "severity", "account", "region"} <= set(f) for f in lines)
    assert not db.exists()


def test_findings_normalize_reads_stdin_and_explains_rejections():
    result = run("findings", "normalize", "-", stdin='{"hello": "world"}\n')
    assert result.returncode == 1 and result.stdout == ""
    assert "not a GuardDuty, Security Hub or CloudTrail document" in result.stderr


def test_findings_normalize_missing_file_is_a_plain_message():
    result = run("findings", "normalize", "/nonexistent/findings.json")
    assert result.returncode == 1 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_check_config_reports_a_broken_rules_file(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: x\n    title: X\n    severity: extreme\n    event_name: StopLogging\n")
    config = tmp_path / "mine.yaml"
    config.write_text(f"findings:\n  cloudtrail_rules: {rules}\n")
    result = run("check-config", str(config))
    assert result.returncode == 1
    assert str(rules) in result.stderr and "severity" in result.stderr and "extreme" in result.stderr


def test_serve_answers_health_and_stops_cleanly_on_sigterm(workspace):
    import re
    import signal
    import time
    import urllib.request

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    env.update({"SLACK_BOT_TOKEN": workspace.fake.token, "SLACK_SIGNING_SECRET": "s3cret",
                "SLACK_API_URL": workspace.fake.api_url, "DATABASE_URL": workspace.settings.secrets.database_url})
    proc = subprocess.Popen([sys.executable, str(REPO / "bot.py"), "serve", "--host", "127.0.0.1", "--port", "0"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline = None, time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            found = re.search(r"serving Slack requests on (http://[\d.:]+)/slack/events", line)
            url = found.group(1) if found else None
        assert url, "serve never said where it listens"
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert "Traceback" not in proc.stdout.read()
    finally:
        proc.kill()
