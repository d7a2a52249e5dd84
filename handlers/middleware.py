"""Bolt middleware that every request passes before any listener."""

from __future__ import annotations

from slack_bolt.response import BoltResponse

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


def once_per_request(services: Services):
    """Acknowledge a Slack retry or replay without running anything a second time.

    Slack retries when an ack was slow, and a replica may receive the retry while the
    first one still works; the key is recorded in the database so replicas agree."""

    def middleware(body: dict, next, logger):  # noqa: A002 - Bolt injects `next` by name
        services.telemetry.slack_requests.labels(kind=request_kind(body)).inc()
        key = request_key(body)
        if key and not services.requests.first_time(key, services.clock.now()):
            services.telemetry.duplicate_requests.inc()
            logger.info("ignored a repeated Slack request %s", key)
            return BoltResponse(status=200, body="")
        return next()

    return middleware
