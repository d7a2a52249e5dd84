"""Only the configured workspace may drive the bot (`slack.team_id`), and only its own people
(plus `slack.allowed_teams`).

Every workspace that installs the same Slack app signs its requests with the same signing
secret, so a valid signature does not say whose workspace a request comes from: with the
app installed elsewhere (a distributed app, a test workspace, an org-wide install), members
there could declare incidents or press Approve here. When slack.team_id is set, a request
whose workspace (team_id / team.id) or Enterprise Grid org (enterprise_id / enterprise.id)
is not that id gets 403 and reaches no listener. Unset: every team is accepted (as before).

The top level names the workspace the request happened in, not the person: in a Slack
Connect channel a user of another organisation clicks buttons and types commands in ours.
So the acting user's own team is checked as well: from the request where Slack puts it
(`user.team_id` of interactivity, `user_team` of an event), else, and whenever that team is
not an allowed id itself (a workspace inside an allowed Grid org), from users.info
(`team_id`, `enterprise_user.enterprise_id` and `enterprise_user.teams`), cached briefly."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Iterable

from slack_bolt import BoltResponse
from slack_sdk.errors import SlackApiError

from core.services import Services

log = logging.getLogger("firebreak.http")
REFUSED = '{"error": "this workspace may not use this app"}'


def request_teams(body: dict[str, Any]) -> set[str]:
    """The workspace and org ids a Slack request says it comes from (top level only: a
    user's own team in a shared channel is user_teams')."""
    found: Iterable[Any] = (body.get("team_id"), body.get("enterprise_id"),
                            (body.get("team") or {}).get("id") if isinstance(body.get("team"), dict) else None,
                            (body.get("enterprise") or {}).get("id") if isinstance(body.get("enterprise"), dict)
                            else None)
    return {value for value in found if isinstance(value, str) and value}


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def acting_user(body: dict[str, Any]) -> str | None:
    """Who acts: a command's user_id, interactivity's user.id, an event's user."""
    event = _dict(body.get("event"))
    for value in (body.get("user_id"), _dict(body.get("user")).get("id"), event.get("user"),
                  _dict(event.get("user")).get("id")):
        if isinstance(value, str) and value:
            return value
    return None


def user_teams(body: dict[str, Any]) -> set[str]:
    """The acting user's own team as the request states it (empty for slash commands)."""
    event = _dict(body.get("event"))
    found = (_dict(body.get("user")).get("team_id"), event.get("user_team"), _dict(event.get("user")).get("team_id"))
    return {value for value in found if isinstance(value, str) and value}


class HomeTeams:
    """users.info → the ids a user belongs to (home workspace, Grid org and its workspaces)."""

    def __init__(self, ttl_seconds: float):
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, frozenset[str] | None]] = {}
        self._lock = threading.Lock()

    def of(self, client, user: str) -> frozenset[str] | None:
        """None: Slack could not say (the caller decides what an unknown means)."""
        with self._lock:
            cached = self._cache.get(user)
            if cached and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
        try:
            found = _dict(client.users_info(user=user).get("user"))
        except SlackApiError as exc:
            log.warning("users.info for the team check of %s failed: %s", user,
                        exc.response.get("error") if exc.response is not None else exc)
            return None
        enterprise = _dict(found.get("enterprise_user"))
        ids = [found.get("team_id"), enterprise.get("enterprise_id"), *(enterprise.get("teams") or [])]
        teams = frozenset(v for v in ids if isinstance(v, str) and v) or None
        with self._lock:
            self._cache[user] = (time.monotonic(), teams)
        return teams


def only_configured_team(services: Services):
    """Global middleware: 403 for a request from any workspace but slack.team_id (when set),
    or by a user whose own team is neither it nor one of slack.allowed_teams."""
    slack = services.config.slack
    wanted = slack.team_id
    allowed = {wanted, *slack.allowed_teams} if wanted else set()
    homes = HomeTeams(slack.group_cache_seconds)

    def refuse(why: str) -> BoltResponse:
        services.telemetry.rejected_requests.labels(reason="team").inc()
        log.warning("refused a Slack request: %s", why)
        return BoltResponse(status=403, body=REFUSED, headers={"content-type": "application/json"})

    def middleware(body: dict, client, next):  # noqa: A002 - Bolt injects `client` and `next` by name
        if wanted is None:
            return next()
        teams = request_teams(body)
        if wanted not in teams:
            return refuse(f"workspace {', '.join(sorted(teams)) or '(none named)'}; slack.team_id is {wanted}")
        user, stated = acting_user(body), user_teams(body)
        if user is None or (stated and stated <= allowed):
            return next()
        home = homes.of(client, user)
        if home is not None and home & allowed:
            return next()
        if home is None and not stated:  # Slack could not say, and the request names no other team
            return next()
        return refuse(f"user {user} of team {', '.join(sorted(stated or home or ())) or '(unknown)'} "
                      f"is not in slack.team_id or slack.allowed_teams")

    return middleware
