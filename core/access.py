"""Who may use Firebreak. Checked in core so commands, buttons, the scheduler and the CLI
all obey the same rule."""

from __future__ import annotations

import logging
from typing import Protocol

from core.errors import FirebreakError, PermissionDenied


class Directory(Protocol):
    """Resolves user-group membership (implemented over Slack in handlers/)."""

    def group_members(self, group_id: str) -> set[str]: ...

    def name(self, user_id: str) -> str | None:
        """A person's display name, for documents people read (None: unknown)."""

    def user_by_email(self, email: str) -> str | None:
        """The chat user with this email address (None: nobody), linking a browser sign-in."""


log = logging.getLogger("firebreak.access")


def is_responder(user_id: str, allowed: list[str], directory: Directory) -> bool:
    if not allowed:
        return True
    if user_id in allowed:
        return True
    for entry in allowed:
        if entry.startswith("S") and user_id in directory.group_members(entry):
            return True
    return False


def may_see(incident, user_id: str, *, viewers: list[str], directory: Directory,
             channel_members=None, unknown_members_hide: bool = False) -> bool:
    """A public incident: any responder. A private one: its role holders, the members of its
    channel (`channel_members()` asks the chat), and the configured private viewers. When
    the chat cannot say who is in the channel, Slack's commands say why (a missing scope is
    for an admin to fix); with `unknown_members_hide` (the browser view, which must work
    while Slack is down) channel membership grants nothing then: the rule fails closed."""
    if not incident.private:
        return True
    if user_id in incident.roles.values() or user_id == incident.declared_by:
        return True
    if viewers and is_responder(user_id, viewers, directory):
        return True
    if not (channel_members and incident.channel_id):
        return False
    try:
        return user_id in channel_members(incident.channel_id)
    except (FirebreakError, OSError) as exc:
        if not unknown_members_hide:
            raise
        log.warning("members of %s unknown (%s): private incident %s shown only to its roles and viewers",
                    incident.channel_id, type(exc).__name__, incident.id)
        return False


def require_responder(user_id: str, allowed: list[str], directory: Directory) -> None:
    if not is_responder(user_id, allowed, directory):
        raise PermissionDenied("You are not on Firebreak's responder list, so you cannot run incident "
                               "commands. Ask an administrator to add you (access.responders).")
