"""Events API listeners: mentions, and the pin reaction that adds messages to the timeline."""

from __future__ import annotations

from core.incidents import timeline
from core.services import Services
from handlers import blocks, ids
from handlers.middleware import ack_only, once


def _pin_target(services: Services, event: dict) -> tuple[str, str] | None:
    item = event.get("item") or {}
    if event.get("reaction") != services.config.incidents.timeline_reaction or item.get("type") != "message":
        return None
    return item.get("channel"), item.get("ts")


def register(jobs, services: Services) -> None:
    @once(services)
    def on_mention(event, say):
        """People @-mention the bot when they do not know the commands: point them there."""
        say(text="Try /incident help", thread_ts=event.get("thread_ts") or event.get("ts"),
            blocks=[blocks.section(f"Hi {blocks.user(event.get('user', ''))}: I work through slash "
                                   "commands. `/incident help` lists them; `/incident declare &lt;title&gt;` "
                                   "starts an incident.")])

    @once(services)
    def on_reaction_added(event):
        target = _pin_target(services, event)
        if target and all(target):
            timeline.pin(services, channel=target[0], ts=target[1], reactor=event.get("user"),
                         reaction=event["reaction"])

    @once(services)
    def on_reaction_removed(event):
        target = _pin_target(services, event)
        if target and all(target):
            timeline.unpin(services, channel=target[0], ts=target[1], reaction=event["reaction"])

    jobs.event(ids.EVENT_APP_MENTION, ack_only, on_mention)
    jobs.event(ids.EVENT_REACTION_ADDED, ack_only, on_reaction_added)
    jobs.event(ids.EVENT_REACTION_REMOVED, ack_only, on_reaction_removed)
