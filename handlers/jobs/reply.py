"""The reply port a job's handler answers through: the request's response_url (slack_sdk's
webhook client, as Bolt's `respond` does), or the Web API client for the channel, a DM, a
form or a message kept up to date. Built by the worker from the job's `reply_to`."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from handlers.jobs.command import ReplyTo


class Reply:
    def __init__(self, client: WebClient, to: ReplyTo):
        self.client, self.to = client, to

    def respond(self, text: str = "", blocks: list[dict] | None = None, response_type: str | None = None,
                replace_original: bool | None = None) -> None:
        """Answer on the request's response_url (ephemeral unless `response_type` says otherwise)."""
        if not self.to.response_url:
            raise ValueError("this request has no response_url to answer on")
        message: dict[str, Any] = {"text": text}
        if blocks:
            message["blocks"] = blocks
        if response_type is not None:
            message["response_type"] = response_type
        if replace_original is not None:
            message["replace_original"] = replace_original
        WebhookClient(url=self.to.response_url).send_dict(message)

    def say(self, text: str, blocks: list[dict] | None = None) -> None:
        """Post in the channel (and thread) the request came from."""
        self.client.chat_postMessage(channel=self.to.channel, thread_ts=self.to.thread_ts, text=text, blocks=blocks)

    def open_form(self, view: dict) -> None:
        self.client.views_open(trigger_id=self.to.trigger_id, view=view)

    def dm(self, user: str, text: str, blocks: list[dict] | None = None) -> None:
        self.client.chat_postMessage(channel=user, text=text, blocks=blocks)

    def post(self, channel: str, text: str, blocks: list[dict]) -> str:
        """A new message in `channel`; its ts, to update it later."""
        return self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)["ts"]

    def update(self, channel: str, ts: str, text: str, blocks: list[dict]) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def error(self, text: str, blocks: list[dict]) -> None:
        """The one error path's answer: privately on the response_url, else in a DM to the
        form's submitter; an event has nobody to answer."""
        if self.to.response_url:
            self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        elif self.to.user:
            self.dm(self.to.user, text, blocks)
