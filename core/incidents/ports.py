"""What the incident domain needs from the outside: its storage (store/ implements it on
SQLAlchemy) and the chat platform (handlers/chat.py implements it over Slack; core decides
*what* happens and never sees a Slack payload or client)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, Protocol

from core.errors import FirebreakError
from core.incidents.model import ActionItem, Incident, Mutation, TimelineEntry


class ChannelNameTaken(Exception):
    """The channel name exists already (Slack's name_taken); core picks the next one."""


class ChatError(FirebreakError):
    """The chat platform refused a call; the message names the call and the reason."""


class Chat(Protocol):
    def create_channel(self, name: str, private: bool) -> str | None:
        """Create a channel and return its id; raise ChannelNameTaken if the name is used.
        None: there is no chat platform to create it on (core.nulls.NoChat)."""

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


class Database(Protocol):
    """The handle the processes need for health and shutdown (never for queries)."""

    url: Any

    def ping(self) -> bool: ...

    def dispose(self) -> None: ...


class IncidentRepository(Protocol):
    def create(self, *, title: str, severity: str, category: str, declared_by: str, at: datetime,
               origin_channel: str | None, dedup_key: str | None, timeline_text: str, description: str = "",
               private: bool = False, roles: dict | None = None, drill: dict | None = None) -> tuple[Incident, bool]: ...

    def mutate(self, incident_id: int, decide: Callable[[Incident, datetime], Mutation],
               now: Callable[[], datetime], *, key: str | None = None) -> tuple[Incident, list[TimelineEntry]]: ...

    def set_fields(self, incident_id: int, **fields) -> None: ...

    def add_timeline(self, incident_id: int, *, kind: str, text: str, at: datetime, actor: str | None = None,
                     data: dict | None = None, dedup_key: str | None = None) -> TimelineEntry | None: ...

    def remove_timeline(self, dedup_key: str) -> TimelineEntry | None: ...

    def find_by_key(self, dedup_key: str) -> Incident | None: ...

    def get(self, incident_id: int) -> Incident | None: ...

    def by_channel(self, channel_id: str) -> Incident | None: ...

    def recent(self, limit: int = 50, *, open_only: bool = False, severity: str | None = None) -> list[Incident]: ...

    def count(self) -> int: ...

    def timeline(self, incident_id: int, *, after_id: int = 0, limit: int | None = 100) -> list[TimelineEntry]: ...

    def timeline_page(self, incident_id: int, *, page: int, per_page: int) -> tuple[list[TimelineEntry], int]: ...

    def last_entry_id(self, incident_id: int) -> int:
        """The highest timeline entry id of the incident (0: none): what came after is new."""


class ActionItemRepository(Protocol):
    def add(self, incident_id: int, *, text: str, owner: str | None, due: date | None, created_by: str,
            at: datetime) -> ActionItem: ...

    def get(self, item_id: int) -> ActionItem | None: ...

    def for_incident(self, incident_id: int) -> list[ActionItem]: ...

    def complete(self, item_id: int, *, by: str, at: datetime) -> bool: ...

    def update(self, item_id: int, **fields) -> ActionItem | None: ...

    def delete(self, item_id: int) -> ActionItem | None: ...

    def open_due_before(self, day: date) -> list[ActionItem]: ...
