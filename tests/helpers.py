"""Small helpers shared by tests that drive the bot over HTTP."""

from __future__ import annotations

import json
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


def eventually(check, timeout: float = 5.0, interval: float = 0.02):
    """Wait for work the bot does after its ack; returns check()'s truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "condition not met in time"
            return value
        time.sleep(interval)
