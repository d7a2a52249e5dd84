"""core.containment.ports.Board over Slack: renders the card core decided (CardView) as
Block Kit, posts it or edits the message it names, and returns where a new card went.

It reads no storage and decides nothing: which state the card shows, its buttons, and
whether to post or edit are core's (core/containment/cards.py)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.containment.ports import CardView
from core.messages import PostedMessage
from handlers.containment import blocks
from handlers.errors import slack_call

log = logging.getLogger("firebreak.containment")


class SlackBoard:
    def __init__(self, client: WebClient):
        self.client = client

    def post(self, card: CardView) -> PostedMessage:
        """The card, and the plan's attachment (if any) as a file in the card's thread."""
        text, shown = blocks.card(card)
        with slack_call("chat.postMessage"):  # a refusal is core's ChatError (the browser view goes on)
            posted = self.client.chat_postMessage(channel=card.channel, text=text, blocks=shown)
        if card.attachment is not None:
            self._attach(posted["channel"], posted["ts"], card)
        return PostedMessage(posted["channel"], posted["ts"])

    def _attach(self, channel: str, ts: str, card: CardView) -> None:
        """The card is posted already: a failed upload is said in its thread (approvers must
        not approve what they were not shown), never a second card."""
        name, content = card.attachment
        try:
            self.client.files_upload_v2(channel=channel, thread_ts=ts, filename=name, content=content,
                                        title=f"{card.request.label}: {name}")
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else str(exc)
            log.warning("could not attach %s to the card of %s: %s", name, card.request.label, error)
            self.client.chat_postMessage(channel=channel, thread_ts=ts, text=(
                f"{name} could not be attached ({error}): do not approve {card.request.label} before you have "
                "seen it; deny it and ask again."))

    def update(self, card: CardView) -> None:
        text, shown = blocks.card(card)
        with slack_call("chat.update"):
            self.client.chat_update(channel=card.message.channel, ts=card.message.ts, text=text, blocks=shown)
