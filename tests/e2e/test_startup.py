"""Start-up while Slack or AWS is failing (issue 20), as an operator runs the processes:
real `bot.py worker`, `clock` and `serve` subprocesses against the fake Slack (told to answer
HTTP 500 for everything) and moto. A transient failure is retried while the work that needs
no Slack goes on; a refused token or a refused AWS call ends the process, naming the error."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import boto3
import pytest

from composition import local_workspace
from local.slack_sender import SlackSender
from store.db import Database
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.support.findings import fixture_text
from tests.support.slack import eventually

pytestmark = pytest.mark.slow
CONFIG = ("findings:\n  queue: {wait_seconds: 1}\n  digest: {pace_seconds: 0.1, always_alone_from: null}\n"
          "slack: {startup_retry_max_seconds: 2}\n")  # tries every 2 s once the backoff reaches it


class Bot:
    """`python bot.py <command>` with its output (stdout and stderr) collected line by line."""

    def __init__(self, *command: str, env: dict):
        self.lines: list[str] = []
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, str(REPO / "bot.py"), *command], cwd=REPO, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")),
                                        daemon=True)
        self._reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def said(self, pattern: str) -> list[re.Match]:
        return [m for line in list(self.lines) if (m := re.search(pattern, line))]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


def _env(ws, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    env.pop("FINDINGS_QUEUE_URL", None)
    env.update({"SLACK_BOT_TOKEN": ws.fake.token, "SLACK_SIGNING_SECRET": ws.settings.secrets.slack_signing_secret,
                "SLACK_API_URL": ws.fake.api_url, "DATABASE_URL": ws.settings.secrets.database_url,
                "FIREBREAK_LOG_LEVEL": "INFO", **extra})
    return env


@pytest.fixture
def quiet_workspace(settings):
    """The workspace's bot acks and enqueues but runs no jobs (workers=0), like `bot.py serve`."""
    ws = local_workspace(settings, threads=2, workers=0)
    yield ws
    ws.stop()


def _queue_findings(n: int) -> str:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="findings")["QueueUrl"]
    for k in range(n):
        event = json.loads(fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json"))
        event["detail"]["id"] = f"outage-{k}"
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    return url


def _stored(ws) -> int:
    db = Database(ws.settings.secrets.database_url)
    try:
        return SqlFindingRepository(db).count()
    finally:
        db.dispose()


def test_a_worker_started_while_slack_answers_500_is_still_running_10_s_later_and_runs_the_queued_work_once_slack_answers_again(  # noqa: E501
        quiet_workspace, moto_endpoint, tmp_path):
    ws = quiet_workspace
    alice, general = ws.user("alice"), ws.channel("general")
    assert ws.sender.command("/incident", "declare sev2 Declared during the outage", user=alice,
                             channel=general).status == 200
    jobs = ws.services.repos.jobs
    [queued] = jobs.listed()
    queue_url = _queue_findings(4)
    config = tmp_path / "firebreak.yaml"
    config.write_text(CONFIG)
    ws.fake.outage(500)
    outage_from = len(ws.fake.calls)
    worker = Bot("worker", env=_env(ws, FINDINGS_QUEUE_URL=queue_url, FIREBREAK_CONFIG=str(config)))
    try:
        time.sleep(max(0.0, worker.started + 10 - time.monotonic()))
        assert worker.proc.poll() is None, worker.output  # 10 s later it still runs
        pattern = r"Slack \(auth\.test\): attempt (\d+) failed \(HTTP 500 internal_error\)"
        # a loaded machine may take most of those 10 s to import; the retries come once it runs
        eventually(lambda: len(worker.said(pattern)) >= 3, timeout=60, interval=0.2)
        attempts = worker.said(pattern)
        assert "queued jobs wait; findings from SQS are stored" in attempts[0].string
        eventually(lambda: _stored(ws) == 4, timeout=60, interval=0.2)  # SQS intake stored them while Slack failed
        assert {c.method for c in ws.fake.calls[outage_from:]} == {"auth.test"}  # jobs and posts waited
        assert jobs.get(queued.id).state == "queued" and jobs.get(queued.id).attempts == 0  # no attempt spent

        ws.fake.outage(None)
        recovered = time.monotonic()
        eventually(lambda: jobs.active() == 0, timeout=60, interval=0.2)
        ran_after = time.monotonic() - recovered
        eventually(lambda: len(ws.fake.messages("security-triage")) == 4, timeout=30)
    finally:
        code = worker.stop()
    assert code == 0 and "Traceback" not in worker.output and ws.fake.token not in worker.output
    done = jobs.get(queued.id)
    assert done.state == "done" and done.attempts == 1  # ran exactly once
    [created] = [c for c in ws.fake.calls_to("conversations.create")]
    channel = ws.fake.channel_id(created.body["name"])
    headlines = [m for m in ws.fake.messages(channel) if "Declared during the outage" in m.get("text", "")]
    assert len(headlines) == 1, ws.fake.messages(channel)  # its message reached Slack once
    assert ran_after < 15  # the next attempt (backoff capped at 2 s here) found Slack answering
    print(f"\nqueued job ran {ran_after:.1f} s after Slack answered again; "
          f"{len(attempts)} failed attempts in the first 10 s")


@pytest.mark.parametrize("command, error", [("worker", "token_revoked"), ("worker", "invalid_auth"),
                                            ("clock", "account_inactive"), ("serve", "not_authed")])
def test_a_refused_token_stops_the_process_promptly_naming_slacks_error(quiet_workspace, command, error):
    ws = quiet_workspace
    env = _env(ws)
    if error == "invalid_auth":
        env["SLACK_BOT_TOKEN"] = "xoxb-revoked-0123456789"  # not the workspace's: the fake answers invalid_auth
    else:
        ws.fake.fail("auth.test", error)
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(REPO / "bot.py"), command, *(["--port", "0"] if command == "serve"
                                                                             else [])],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - started < 30
    assert f"Slack did not accept the bot token (check SLACK_BOT_TOKEN / SLACK_API_URL): auth.test answered " \
           f"`{error}`" in result.stderr
    assert "Traceback" not in result.stderr and env["SLACK_BOT_TOKEN"] not in result.stderr + result.stdout


def test_a_clock_started_while_slack_answers_500_runs_the_scheduler_and_confirms_later(quiet_workspace):
    ws = quiet_workspace
    ws.fake.outage(500)
    clock = Bot("clock", env=_env(ws))
    try:
        eventually(lambda: clock.said(r"clock (\S+): active with \d+ job"), timeout=30)  # holds the lease, sweeps
        eventually(lambda: clock.said(r"Slack \(auth\.test\): attempt 2 failed \(HTTP 500"), timeout=30)
        assert clock.proc.poll() is None
        ws.fake.outage(None)
        eventually(lambda: clock.said(r"Slack confirmed the bot token"), timeout=45)
    finally:
        code = clock.stop()
    assert code == 0 and "Traceback" not in clock.output


def test_serve_answers_health_and_acks_commands_while_slack_answers_500(quiet_workspace):
    ws = quiet_workspace
    ws.fake.outage(500)
    serve = Bot("serve", "--host", "127.0.0.1", "--port", "0", env=_env(ws))
    try:
        found = eventually(lambda: serve.said(r"serving Slack requests on (http://[\d.:]+)/slack/events"), timeout=30)
        url = found[0].group(1)
        eventually(lambda: serve.said(r"Slack \(auth\.test\): attempt 1 failed \(HTTP 500"), timeout=30)
        with urllib.request.urlopen(url + "/healthz", timeout=10) as health:
            assert health.status == 200 and json.loads(health.read())["status"] == "ok"
        sender = SlackSender(url, ws.settings.secrets.slack_signing_secret, response_url=ws.fake.response_url)
        assert sender.command("/incident", "declare sev3 Acked while Slack fails", user=ws.user("alice"),
                              channel=ws.channel("general")).status == 200
        assert [j.route for j in ws.services.repos.jobs.listed()] == ["incident.declare"]  # queued for a worker
        mention = {"type": "app_mention", "user": ws.user("alice"), "text": "<@UBOT> hi",
                   "channel": ws.channel("general"), "ts": "1.1"}
        assert sender.event(mention, event_id="Ev-outage").status == 503  # Slack delivers it again later
        ws.fake.outage(None)
        eventually(lambda: serve.said(r"Slack confirmed the bot token"), timeout=45)
        assert sender.event(mention, event_id="Ev-outage", retry_num=1).status == 200
        assert len(ws.services.repos.jobs.listed()) == 2
    finally:
        code = serve.stop()
    assert code == 0 and "Traceback" not in serve.output


def test_a_worker_whose_sqs_is_unreachable_keeps_running_jobs(quiet_workspace, aws_env, tmp_path):
    ws = quiet_workspace
    assert ws.sender.command("/incident", "declare sev3 While SQS is down", user=ws.user("alice"),
                             channel=ws.channel("general")).status == 200
    config = tmp_path / "firebreak.yaml"
    config.write_text("aws: {max_attempts: 1}\n")  # botocore's own retries would only slow this down
    closed = "http://127.0.0.1:9"  # discard: nothing listens there
    worker = Bot("worker", env=_env(ws, FINDINGS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/f",
                                    AWS_ENDPOINT_URL=closed, FIREBREAK_CONFIG=str(config)))
    try:
        eventually(lambda: ws.services.repos.jobs.active() == 0, timeout=60, interval=0.2)
        eventually(lambda: worker.said(r"SQS queue \S+: attempt 2 failed \(Could not reach AWS"), timeout=30)
        assert worker.proc.poll() is None
    finally:
        code = worker.stop()
    assert code == 0 and "Traceback" not in worker.output


def test_a_worker_whose_queue_does_not_exist_stops_with_awss_code(quiet_workspace, moto_endpoint):
    ws = quiet_workspace
    missing = "http://127.0.0.1/123456789012/no-such-queue"
    result = subprocess.run([sys.executable, str(REPO / "bot.py"), "worker"], cwd=REPO, text=True, timeout=60,
                            env=_env(ws, FINDINGS_QUEUE_URL=missing), capture_output=True)
    assert result.returncode == 1, result.stderr
    assert "AWS refused the start-up call" in result.stderr and "NonExistentQueue" in result.stderr
    assert "Traceback" not in result.stderr
