"""core.communications.ports.StakeholderChat over Slack: post in channels, DM users, DM each
member of a user group. Every target is tried; failures are collected and raised together."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.access import Directory
from core.communications.ports import StakeholderMessage
from core.incidents.ports import ChatError
from handlers.communications.blocks import stakeholder_message
from handlers.errors import chat_error


class SlackStakeholders:
    def __init__(self, client: WebClient, directory: Directory):
        self.client = client
        self.directory = directory

    def send(self, message: StakeholderMessage, channels: list[str], users: list[str],
             skip: list[str] = ()) -> list[str]:
        text, blocks = stakeholder_message(message)
        people: list[str] = []
        for member in users:
            if member.startswith("S"):
                people.extend(sorted(self.directory.group_members(member)))
            else:
                people.append(member)
        done, problems = [], []
        for target in [t for t in [*channels, *dict.fromkeys(people)] if t not in skip]:
            try:
                self.client.chat_postMessage(channel=target, text=text, blocks=blocks, unfurl_links=False)
                done.append(target)
            except SlackApiError as exc:
                problems.append(f"{target}: {chat_error('chat.postMessage', exc).message}")
        if problems:
            error = ChatError("; ".join(problems) + (f" (delivered to {', '.join(done)})" if done else ""))
            error.delivered = done  # a retry skips them
            raise error
        return done
