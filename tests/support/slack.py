"""Small helpers shared by tests that drive the bot over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time


def ack_body(reply) -> dict:
    """The JSON a command ack carried (empty dict for an empty ack)."""
    assert reply.status == 200, (reply.status, reply.body)
    return json.loads(reply.body) if reply.body.strip() else {}


def all_text(payload: dict) -> str:
    """Every piece of text in a message payload, for assertions on what a user sees."""
    parts = [payload.get("text", "")]

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks") or [])
    return "\n".join(parts)


def mrkdwn_of(body: dict) -> str:
    """Every string Slack would parse for mentions: all but plain_text objects (never parsed)."""
    parts = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "plain_text":
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            parts.append(node)

    walk(body)
    return "\n".join(parts)


def settled(ws, check, timeout: float = 10.0):
    """Wait until the bot finished the work it acknowledged, then check once: no polling."""
    assert ws.settle(timeout), "the bot's work after the ack did not finish in time"
    value = check()
    assert value, "not so once the bot's work was done"
    return value


def eventually(check, timeout: float = 5.0, interval: float = 0.02):
    """Poll for what no local pool can tell (another process, the clock); returns check()'s value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "condition not met in time"
            return value
        time.sleep(interval)


@contextlib.contextmanager
def second_replica(workspace):
    """`python bot.py serve` in its own process, sharing the workspace's Slack and database
    (and whatever AWS endpoint the environment names); yields a signer aimed at it."""
    from local.slack_sender import SlackSender
    from tests.conftest import REPO

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    env.update({"SLACK_BOT_TOKEN": workspace.fake.token,
                "SLACK_SIGNING_SECRET": workspace.settings.secrets.slack_signing_secret,
                "SLACK_API_URL": workspace.fake.api_url, "DATABASE_URL": workspace.settings.secrets.database_url})
    proc = subprocess.Popen([sys.executable, str(REPO / "bot.py"), "serve", "--host", "127.0.0.1", "--port", "0"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline = None, time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            found = re.search(r"serving Slack requests on (http://[\d.:]+)/slack/events", proc.stdout.readline())
            url = found.group(1) if found else None
        assert url, "the second replica did not start"
        yield SlackSender(url, workspace.settings.secrets.slack_signing_secret,
                          response_url=workspace.fake.response_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
