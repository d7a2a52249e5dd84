"""People's names for commands run beside the local workspace (`bot.py export`, `stats`):
the fake Slack's users as the workspace saved them, so an export says @alice, not @U0000002.
Read once; a missing or unreadable file knows nobody (ids are shown then)."""

from __future__ import annotations

import json
from pathlib import Path


class SavedWorkspaceDirectory:
    def __init__(self, path: Path):
        try:
            users = json.loads(Path(path).read_text()).get("users", {})
        except (OSError, ValueError, AttributeError):
            users = {}
        self._names = {uid: (u.get("profile") or {}).get("display_name") or u.get("real_name") or u.get("name")
                       for uid, u in users.items() if isinstance(u, dict)}

    def name(self, user_id: str) -> str | None:
        return self._names.get(user_id) or None

    def group_members(self, group_id: str) -> set[str]:
        return set()  # the CLI checks no permissions by group
