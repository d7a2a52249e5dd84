"""Who acts and where to answer, read from a verified Slack request (a slash command, a
button, a form submission or an event): the only parts of a request a job keeps."""

from __future__ import annotations

from typing import Any

from handlers.jobs.command import ReplyTo


def _id(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) else None


def acting(body: dict) -> dict[str, str | None]:
    """{user, team} of the person behind the request, as Slack signed it."""
    if body.get("command"):
        return {"user": body.get("user_id") or "", "team": body.get("team_id")}
    if body.get("type") == "event_callback":
        return {"user": (body.get("event") or {}).get("user") or "", "team": body.get("team_id")}
    return {"user": _id(body.get("user")) or "", "team": _id(body.get("team")) or body.get("team_id")}


def channel_of(body: dict) -> str | None:
    """The channel the request was made in (a command's, or the message a button is on)."""
    return body.get("channel_id") or _id(body.get("channel"))


def reply_to(body: dict, *, form: bool = False) -> ReplyTo:
    """What answering this request needs, and nothing more: a command or button answers on
    its response_url, a form's submitter in a DM, an event in its channel and thread.
    `form`: the work opens a form, so it needs the request's trigger id."""
    trigger = body.get("trigger_id") if form else None
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        return ReplyTo(channel=event.get("channel"), thread_ts=event.get("thread_ts") or event.get("ts"))
    if body.get("type") == "view_submission":
        return ReplyTo(user=_id(body.get("user")), trigger_id=trigger)
    return ReplyTo(response_url=body.get("response_url"), channel=channel_of(body), trigger_id=trigger)
