"""core.findings.ports.TriageSender over Slack: renders the views core hands over (triage
messages, digests, "also seen in finding" notes) as Block Kit and sends them through the
paced Outbox, with chat.postMessage for a new message and chat.update for one shown already.

It reads no storage and decides nothing: what is due, whether to post or edit, and the
claim/posted/shown bookkeeping are core's (core/findings/delivery.py), which learns where a
message went from what `post` returns."""

from __future__ import annotations

from typing import Callable, Hashable

from slack_sdk import WebClient

from core.findings.ports import DigestView, FindingView, IndicatorMatch, TriageView
from core.messages import PostedMessage
from handlers.findings import blocks as triage_blocks
from handlers.outbox import Outbox


class SlackTriageSender:
    def __init__(self, client: WebClient, outbox: Outbox):
        self.client = client  # paced jobs' client: it leaves 429 to the outbox (handlers.outbox.outbox_client)
        self.outbox = outbox

    def queue(self, channel: str, key: Hashable, send: Callable[[], None]) -> None:
        self.outbox.submit(channel, key, send)

    def post(self, view: TriageView) -> PostedMessage:
        text, shown = render(view)
        response = self.client.chat_postMessage(channel=view.channel, text=text, blocks=shown,
                                                thread_ts=getattr(view, "thread_ts", None))
        return PostedMessage(response["channel"], response["ts"])

    def update(self, view: FindingView | DigestView) -> None:
        text, shown = render(view)
        self.client.chat_update(channel=view.message.channel, ts=view.message.ts, text=text, blocks=shown)

    def drain(self, timeout: float | None = None) -> bool:
        return self.outbox.drain(timeout)

    def close(self) -> None:
        self.outbox.close()


def render(view: TriageView) -> tuple[str, list[dict]]:
    """The fallback text and the blocks of a view."""
    if isinstance(view, FindingView):
        return triage_blocks.finding_message(view)
    if isinstance(view, DigestView):
        return triage_blocks.digest_message(view)
    if isinstance(view, IndicatorMatch):
        return triage_blocks.indicator_note(view)
    raise TypeError(f"no rendering for {type(view).__name__}")
