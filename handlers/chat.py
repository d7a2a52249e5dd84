"""core.ports.Chat over Slack's Web API: channels, invitations, the pinned summary and
announcements. Slack's refusals become ChatError with the method and Slack's error code."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.access import Directory
from core.incidents.model import Incident, TimelineEntry
from core.incidents.ports import ChannelNameTaken
from core.settings import Config
from handlers.findings import blocks as finding_blocks
from handlers.incidents import blocks as incident_blocks
from handlers.playbooks import blocks as playbook_blocks
from core.mentions import as_text
from handlers.blocks import escape, section, truncate, with_mentions
from handlers.errors import chat_error, slack_call

log = logging.getLogger("firebreak.chat")
HARMLESS_INVITE_ERRORS = {"already_in_channel", "cant_invite_self"}


class SlackChat:
    def __init__(self, client: WebClient, config: Config, directory: Directory, clocks=None, cases=None):
        self.client = client
        self.config = config
        self.directory = directory
        self.clocks = clocks or (lambda incident: [])  # the incident's regulatory clocks, for the summary
        self.cases = cases or (lambda incident: [])  # its AWS cases (Support, Security IR), for the summary

    def create_channel(self, name: str, private: bool) -> str:
        try:
            return self.client.conversations_create(name=name, is_private=private)["channel"]["id"]
        except SlackApiError as exc:
            if exc.response.get("error") == "name_taken":
                raise ChannelNameTaken(name) from None
            raise chat_error("conversations.create", exc) from None

    def invite(self, channel: str, members: list[str]) -> None:
        users: list[str] = []
        for member in members:
            if member.startswith("S"):
                users.extend(sorted(self.directory.group_members(member)))
            else:
                users.append(member)
        users = list(dict.fromkeys(users))
        if not users:
            return
        try:
            self.client.conversations_invite(channel=channel, users=",".join(users))
        except SlackApiError as exc:
            if exc.response.get("error") in HARMLESS_INVITE_ERRORS and len(users) == 1:
                return
            # One bad or already-present user fails the whole batch: invite one by one.
            for user in users:
                try:
                    self.client.conversations_invite(channel=channel, users=user)
                except SlackApiError as single:
                    if single.response.get("error") not in HARMLESS_INVITE_ERRORS:
                        log.warning("could not invite %s to %s: %s", user, channel, single.response.get("error"))

    def describe_channel(self, incident: Incident) -> None:
        commander = incident.roles.get("commander")
        topic = f"{incident.severity} · {incident.phase}" + (f" · commander <@{commander}>" if commander else "")
        with slack_call("conversations.setTopic"):
            self.client.conversations_setTopic(channel=incident.channel_id, topic=truncate(topic, 250))
            self.client.conversations_setPurpose(channel=incident.channel_id,
                                                 purpose=truncate(escape(f"Incident {incident.label}: {incident.title}"), 250))

    def post_summary(self, incident: Incident) -> str:
        text, blocks = incident_blocks.summary(incident, self.config.incidents, self.clocks(incident),
                                                  self.cases(incident))
        with slack_call("chat.postMessage"):
            ts = self.client.chat_postMessage(channel=incident.channel_id, text=text, blocks=blocks)["ts"]
        try:
            self.client.pins_add(channel=incident.channel_id, timestamp=ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                log.warning("could not pin the summary of incident %s: %s", incident.id, exc.response.get("error"))
        return ts

    def announce(self, incident: Incident) -> tuple[str, str] | None:
        target = self.config.slack.announce_channel
        if not self.config.incidents.announced(incident.private):
            return None
        text, blocks = incident_blocks.announcement(incident)
        try:
            response = self.client.chat_postMessage(channel=target, text=text, blocks=blocks)
        except SlackApiError as exc:
            # The incident exists and has its channel; a missing announcement is worth a log
            # line, not a failed declaration.
            log.warning("could not announce incident %s in %s: %s", incident.id, target, exc.response.get("error"))
            return None
        return response["channel"], response["ts"]

    def refresh(self, incident: Incident) -> None:
        with slack_call("chat.update"):
            if incident.summary_ts:
                text, blocks = incident_blocks.summary(incident, self.config.incidents, self.clocks(incident),
                                                  self.cases(incident))
                self.client.chat_update(channel=incident.channel_id, ts=incident.summary_ts, text=text, blocks=blocks)
            if incident.announce_ts and incident.announce_channel:
                text, blocks = incident_blocks.announcement(incident)
                self.client.chat_update(channel=incident.announce_channel, ts=incident.announce_ts, text=text,
                                        blocks=blocks)
        self.describe_channel(incident)

    def post_entries(self, incident: Incident, entries: list[TimelineEntry]) -> None:
        for entry in entries:
            text, blocks = incident_blocks.entry_message(entry)
            with slack_call("chat.postMessage"):
                self.client.chat_postMessage(channel=incident.channel_id, text=text, blocks=blocks)

    def post_status_update(self, incident: Incident, text: str, author: str) -> None:
        fallback, blocks = incident_blocks.status_update(incident, text, author)
        targets = [incident.channel_id]
        if not incident.private:  # a private incident's updates stay in its channel
            targets.append(incident.announce_channel or self.config.slack.announce_channel)
        for channel in dict.fromkeys(t for t in targets if t):
            with slack_call("chat.postMessage"):
                self.client.chat_postMessage(channel=channel, text=fallback, blocks=blocks)

    def notify(self, channel: str, text: str, mentions: tuple[str, ...] = ()) -> None:
        with slack_call("chat.postMessage"):
            self.client.chat_postMessage(channel=channel, text=as_text(text),
                                         blocks=[section(f":mega: {with_mentions(text, mentions)}")])

    def post_checklist(self, incident: Incident, checklist) -> str:
        text, blocks = playbook_blocks.checklist(incident, checklist)
        with slack_call("chat.postMessage"):
            return self.client.chat_postMessage(channel=incident.channel_id, text=text, blocks=blocks)["ts"]

    def update_checklist(self, incident: Incident, ts: str, checklist) -> None:
        text, blocks = playbook_blocks.checklist(incident, checklist)
        with slack_call("chat.update"):
            self.client.chat_update(channel=incident.channel_id, ts=ts, text=text, blocks=blocks)

    def upload(self, channel: str, filename: str, content: str, title: str) -> None:
        with slack_call("files.upload"):  # files.getUploadURLExternal → upload → files.completeUploadExternal
            self.client.files_upload_v2(channel=channel, filename=filename, content=content, title=title,
                                        initial_comment=escape(title))

    def post_finding(self, channel: str, finding) -> None:
        text, blocks = finding_blocks.finding_details(finding)
        with slack_call("chat.postMessage"):
            self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)

    def archive(self, channel: str) -> None:
        with slack_call("conversations.archive"):
            self.client.conversations_archive(channel=channel)

    def members(self, channel: str) -> set[str]:
        members: set[str] = set()
        cursor = None
        with slack_call("conversations.members"):
            while True:
                page = self.client.conversations_members(channel=channel, limit=1000, cursor=cursor)
                members.update(page.get("members", []))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return members

    def message(self, channel: str, ts: str) -> dict | None:
        try:
            found = self.client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
            messages = [m for m in found.get("messages", []) if m.get("ts") == ts]
            if not messages:
                return None
            link = self.client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
        except SlackApiError as exc:
            log.warning("could not read message %s in %s: %s", ts, channel, exc.response.get("error"))
            return None
        return {"user": messages[0].get("user"), "text": messages[0].get("text", ""), "permalink": link,
                "reactions": messages[0].get("reactions", [])}
