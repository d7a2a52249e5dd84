"""User-group membership from Slack, cached briefly so permission checks stay fast."""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


class SlackDirectory:
    def __init__(self, client: WebClient, ttl_seconds: float = 300.0):
        self.client = client
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, set[str]]] = {}
        self._names: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def name(self, user_id: str) -> str | None:
        with self._lock:
            if user_id in self._names:
                return self._names[user_id]
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError:
            user = {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or user.get("name") or None
        with self._lock:
            self._names[user_id] = name
        return name

    def user_by_email(self, email: str) -> str | None:
        """The Slack user whose account has this email (the browser view's sign-in link)."""
        try:
            user = self.client.users_lookupByEmail(email=email).get("user") or {}
        except SlackApiError:
            return None  # users_not_found, or the scope is missing: no link, no access
        return None if user.get("deleted") or user.get("is_bot") else user.get("id")

    def group_members(self, group_id: str) -> set[str]:
        with self._lock:
            cached = self._cache.get(group_id)
            if cached and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
        try:
            members = set(self.client.usergroups_users_list(usergroup=group_id).get("users", []))
        except SlackApiError:
            members = set()  # unknown group grants nothing
        with self._lock:
            self._cache[group_id] = (time.monotonic(), members)
        return members
