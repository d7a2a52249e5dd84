"""Slack's side of the deployment's chat budget (core/chat_budget.py): which lanes a Web API
call claims, from Slack's published rate limits in one table, and a Web API client that
claims them before each call and reports every 429 to the budget, so one process's 429
pauses that method for every process for its Retry-After.

Two kinds of client: the *urgent* one (incident summaries, approval cards, replies to the
person who typed) waits for its turn, and its waiting holds finding digests back in that
channel; the findings outbox's client does not wait: a refused claim raises NotYet and the
outbox (handlers/outbox.py), which paces channels itself, sends something else meanwhile."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from core.chat_budget import ChatBudget, Claim, Lane

log = logging.getLogger("firebreak.slack_budget")

# Requests per minute per method per workspace, from Slack's rate-limit tiers
# (https://docs.slack.dev/apis/web-api/rate-limits: Tier 1 1+/min, Tier 2 20+/min, Tier 3
# 50+/min, Tier 4 100+/min; each method's tier on its reference page). None: Slack's special
# tier, paced per channel instead (chat.postMessage: about one message a second per channel).
TIERS: dict[str, int | None] = {
    "chat.postMessage": None,  # special: 1 per second per channel (CHANNEL_METHODS)
    "chat.update": 50,  # Tier 3
    "chat.delete": 50,  # Tier 3
    "chat.postEphemeral": 100,  # Tier 4
    "conversations.create": 20,  # Tier 2
    "conversations.invite": 50,  # Tier 3
    "conversations.setTopic": 20,  # Tier 2
    "conversations.setPurpose": 20,  # Tier 2
    "conversations.archive": 20,  # Tier 2
    "conversations.info": 50,  # Tier 3
    "pins.add": 20,  # Tier 2
    "reactions.add": 50,  # Tier 3
    "users.info": 100,  # Tier 4
    "usergroups.users.list": 20,  # Tier 2
    "views.open": 100,  # Tier 4
    "views.update": 100,  # Tier 4
}
CHANNEL_METHODS = frozenset({"chat.postMessage", "chat.update"})  # messages a channel shows: paced per channel
DEFAULT_RETRY_AFTER = 1.0
URGENT_429_RETRIES = 3  # as many as the plain client's RateLimitErrorRetryHandler


class NotYet(Exception):
    """The budget has no turn for this call yet: try again in `after` seconds (nothing was sent)."""

    def __init__(self, after: float):
        super().__init__(f"no turn for {after:.2f}s")
        self.after = after


def channel_lane(channel: str, pace: float) -> Lane:
    return Lane(f"channel:{channel.lstrip('#')}", spacing=pace)


def method_lane(method: str, *, tiers: bool = True) -> Lane:
    """`tiers`: kept to Slack's tier per minute; else paused by 429s only."""
    return Lane(f"method:{method}", per_minute=TIERS.get(method) if tiers else None)


def lanes_for(method: str, args: dict, pace: float, *, channels: bool, tiers: bool = True) -> list[Lane]:
    """The lanes a call claims: its method's (every call: a 429 pauses it), and with
    `channels` the channel's for a message a channel shows."""
    lanes = [method_lane(method, tiers=tiers)]
    channel = args.get("channel")
    if channels and method in CHANNEL_METHODS and isinstance(channel, str) and channel:
        lanes.append(channel_lane(channel, pace))
    return lanes


def retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


class BudgetedClient(WebClient):
    """A Web API client whose every call claims its lanes in the shared budget first.

    `urgent`: wait for the turn (sleeping as the budget says) and wait out up to three 429s;
    else raise NotYet for a turn not yet due and SlackApiError for a 429 (the outbox waits).
    `channels`: also claim the channel's lane (the outbox claims channels itself: False)."""

    def __init__(self, token: str, base_url: str, budget: ChatBudget, *, pace: float, urgent: bool,
                 channels: bool, tiers: bool = True, sleep: Callable[[float], None] = time.sleep):
        super().__init__(token=token, base_url=base_url, timeout=10)
        self.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
        self.budget, self.pace, self.urgent, self.channels, self._sleep = budget, pace, urgent, channels, sleep
        self.tiers = tiers

    def api_call(self, api_method: str, **kwargs: Any):  # noqa: D102 - WebClient's
        args = {**(kwargs.get("params") or {}), **(kwargs.get("data") or {}), **(kwargs.get("json") or {})}
        lanes = lanes_for(api_method, args, self.pace, channels=self.channels, tiers=self.tiers)
        for attempt in range(URGENT_429_RETRIES + 1):
            claim = self._turn(lanes)
            try:
                return super().api_call(api_method, **kwargs)
            except SlackApiError as exc:
                if exc.response.status_code != 429:
                    raise
                wait = retry_after(exc)
                self.budget.pause(method_lane(api_method), wait)
                log.warning("Slack answered 429 to %s: every process waits %.1fs", api_method, wait)
                if not self.urgent or attempt == URGENT_429_RETRIES:
                    raise
            finally:
                self.budget.release(claim, sent=True)
        raise AssertionError("unreachable")

    def _turn(self, lanes: list[Lane]) -> Claim:
        while True:
            claim = self.budget.claim(lanes, urgent=self.urgent)
            if isinstance(claim, Claim):
                return claim
            if not self.urgent:
                raise NotYet(claim)
            self._sleep(claim)
