"""The bot's own Slack identity (auth.test: bot user id, bot id, team), learned when Slack
first answers instead of when the Bolt app is built, so a process starts while Slack fails.

Bolt asks `authorize` for it on each request. The only part of handling a request that
needs it is Bolt dropping the events the bot caused itself (its user and bot ids): until
the identity is known, Events API deliveries get 503 and Slack delivers them again later,
while commands, buttons and forms, which people send, are acknowledged and queued as
jobs as usual (the workers run them once Slack answers)."""

from __future__ import annotations

import logging
import threading
from typing import Any, Mapping

from slack_bolt import BoltResponse
from slack_bolt.authorization import AuthorizeResult

log = logging.getLogger("firebreak.http")


class BotIdentity:
    """One per Bolt app: empty until the process's start-up check hands it auth.test's answer."""

    def __init__(self, token: str):
        self._token = token
        self._answer: Mapping[str, Any] = {}
        self._known = threading.Event()

    @property
    def known(self) -> bool:
        return self._known.is_set()

    @property
    def bot_user_id(self) -> str | None:
        return self._answer.get("user_id")

    def learned(self, answer: Mapping[str, Any]) -> None:
        """auth.test answered (handlers.startup.ask_identity)."""
        self._answer = dict(answer)
        self._known.set()

    def authorize(self, enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        """Bolt's `authorize`: the single workspace's bot token, with the bot's ids once known."""
        answer = self._answer
        return AuthorizeResult(enterprise_id=answer.get("enterprise_id") or enterprise_id,
                               team_id=answer.get("team_id") or team_id, team=answer.get("team"),
                               url=answer.get("url"), bot_user_id=answer.get("user_id"), bot_id=answer.get("bot_id"),
                               bot_token=self._token, bot_scopes=answer.get("scopes"), user_id=user_id)

    def hold_events(self, body: dict, next):  # noqa: A002 - Bolt injects `next` by name
        """Bolt's before_authorize middleware: 503 for events while the bot's ids are unknown."""
        if self.known or body.get("type") != "event_callback":
            return next()
        log.info("Slack has not confirmed the bot yet: event %s answered 503 (Slack delivers it again)",
                 (body.get("event") or {}).get("type"))
        return BoltResponse(status=503, body='{"error": "starting: Slack has not confirmed the bot token yet"}',
                            headers={"content-type": "application/json"})
