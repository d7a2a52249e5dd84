"""Events API listeners."""

from __future__ import annotations

from core.services import Services
from handlers import blocks, ids
from handlers.middleware import once


def register(app, services: Services) -> None:
    @app.event(ids.EVENT_APP_MENTION)
    @once(services)
    def on_mention(event, say):
        """People @-mention the bot when they do not know the commands: point them there."""
        say(text="Try /incident help", thread_ts=event.get("thread_ts") or event.get("ts"),
            blocks=[blocks.section(f"Hi {blocks.user(event.get('user', ''))}: I work through slash "
                                   "commands. `/incident help` lists them; `/incident declare <title>` "
                                   "starts an incident.")])
