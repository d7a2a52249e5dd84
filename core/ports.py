"""What core needs from the chat platform, as an interface. handlers/chat.py implements it
over Slack; core decides *what* happens and never sees a Slack payload or client."""

from __future__ import annotations

from typing import Protocol

from core.errors import FirebreakError
from core.incidents.model import Incident, TimelineEntry


class ChannelNameTaken(Exception):
    """The channel name exists already (Slack's name_taken); core picks the next one."""


class ChatError(FirebreakError):
    """The chat platform refused a call; the message names the call and the reason."""


class Chat(Protocol):
    def create_channel(self, name: str, private: bool) -> str:
        """Create a channel and return its id; raise ChannelNameTaken if the name is used."""

    def invite(self, channel: str, members: list[str]) -> None:
        """Invite users and user groups (ids); people already there are fine."""

    def describe_channel(self, incident: Incident) -> None:
        """Set the channel topic and purpose from the incident."""

    def post_summary(self, incident: Incident) -> str:
        """Post and pin the incident summary in its channel; return the message ts."""

    def announce(self, incident: Incident) -> tuple[str, str] | None:
        """Announce a new incident (with a Join button); (channel, ts), or None if not configured."""

    def refresh(self, incident: Incident) -> None:
        """Bring the pinned summary, topic and announcement up to date."""

    def post_entries(self, incident: Incident, entries: list[TimelineEntry]) -> None:
        """Tell the incident channel what just changed."""

    def post_status_update(self, incident: Incident, text: str, author: str) -> None:
        """Post a status update in the incident and announcement channels."""

    def notify(self, channel: str, text: str, mentions: tuple[str, ...] = ()) -> None:
        """Post a short notice (text shown escaped; the ids in `mentions`, written as
        core.mentions tokens, become mentions). A user id as channel is a direct message."""

    def post_checklist(self, incident: Incident, checklist) -> str:
        """Post a phase's playbook checklist with a Done button per open step; return its ts."""

    def update_checklist(self, incident: Incident, ts: str, checklist) -> None:
        """Show the checklist's current state in the message posted earlier."""

    def upload(self, channel: str, filename: str, content: str, title: str) -> None:
        """Share a text file (the postmortem) in a channel."""

    def post_finding(self, channel: str, finding) -> None:
        """Show a finding's details (type, severity, where, indicators, resources, console link)."""

    def members(self, channel: str) -> set[str]:
        """Who is in the channel now (user ids)."""

    def archive(self, channel: str) -> None:
        """Archive the channel (the incident is closed)."""

    def message(self, channel: str, ts: str) -> dict | None:
        """The message at ts: {"user", "text", "permalink"}; None if it cannot be read."""


class Archive(Protocol):
    """Long-term storage of documents (postmortems in S3)."""

    def put(self, bucket: str, key: str, content: str) -> str:
        """Store the document; return where (e.g. an s3:// URL)."""
