"""Events API listeners: mentions, and the pin reaction that adds messages to the timeline.
A reaction other than the configured one, or on anything but a message, is acked and
dropped here: no job for it."""

from __future__ import annotations

from core.services import Services
from handlers.incidents.commands import AnswerMention, PinMessage, UnpinMessage
from handlers.jobs.command import ReplyTo
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting, reply_to


def _pinned(services: Services, event: dict) -> dict | None:
    item = event.get("item") or {}
    if event.get("reaction") != services.config.incidents.timeline_reaction or item.get("type") != "message":
        return None
    if not (item.get("channel") and item.get("ts")):
        return None
    return {"channel": item["channel"], "ts": item["ts"], "reaction": event["reaction"]}


def mentioned(ack, body, intake: Intake) -> None:
    intake.accept(ack, body, AnswerMention(**acting(body)), reply_to(body))


def reaction_added(ack, body, event, services: Services, intake: Intake) -> None:
    pinned = _pinned(services, event)
    if pinned is None:
        return ack()
    intake.accept(ack, body, PinMessage(**acting(body), **pinned), ReplyTo())  # nobody to answer


def reaction_removed(ack, body, event, services: Services, intake: Intake) -> None:
    pinned = _pinned(services, event)
    if pinned is None:
        return ack()
    intake.accept(ack, body, UnpinMessage(**acting(body), **pinned), ReplyTo())
