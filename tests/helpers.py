"""Small helpers shared by tests that drive the bot over HTTP."""

from __future__ import annotations

import json


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
