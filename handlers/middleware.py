"""What every Slack request passes through: counted by kind, and keyed by the user's act.

The key is the natural id of the act (the same on every Slack retry or replica's
duplicate); the job a listener commits carries it, so a retry enqueues nothing new
(handlers/jobs/intake.py)."""

from __future__ import annotations

from core.services import Services


def request_key(body: dict) -> str | None:
    """A natural id of the user's act, the same on every retry or replay of it."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    if body.get("type") in ("block_actions", "view_submission", "shortcut", "message_action") \
            and body.get("trigger_id"):
        return f"{body['type']}:{body['trigger_id']}"
    return None


def request_kind(body: dict) -> str:
    if body.get("command"):
        return "command"
    return str(body.get("type") or "unknown")


def count_requests(services: Services):
    """Global middleware: per-kind request counters for /metrics."""

    def middleware(body: dict, next):  # noqa: A002 - Bolt injects `next` by name
        services.telemetry.slack_requests.labels(kind=request_kind(body)).inc()
        return next()

    return middleware
