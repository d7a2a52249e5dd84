"""core.containment.ports.Board over Slack: renders the card core decided (CardView) as
Block Kit, posts it or edits the message it names, and returns where a new card went.

It reads no storage and decides nothing: which state the card shows, its buttons, and
whether to post or edit are core's (core/containment/cards.py)."""

from __future__ import annotations

from slack_sdk import WebClient

from core.containment.ports import CardView
from core.messages import PostedMessage
from handlers.containment import blocks


class SlackBoard:
    def __init__(self, client: WebClient):
        self.client = client

    def post(self, card: CardView) -> PostedMessage:
        text, shown = blocks.card(card)
        posted = self.client.chat_postMessage(channel=card.channel, text=text, blocks=shown)
        return PostedMessage(posted["channel"], posted["ts"])

    def update(self, card: CardView) -> None:
        text, shown = blocks.card(card)
        self.client.chat_update(channel=card.message.channel, ts=card.message.ts, text=text, blocks=shown)
