"""A per-channel paced sender for Slack messages, so a storm of findings cannot flood a
channel or trip Slack's limits (about one message per second per channel).

Jobs are keyed: a second job with the key of one still waiting replaces it in place
(a message edited ten times while queued is sent once, as it is last). One thread sends;
each channel has its own next-allowed time, so a rate-limited channel does not hold the
others back. HTTP 429 is handled here, not inside the Web API client: the client used by
jobs must not retry 429 itself (see `outbox_client`), otherwise its sleep and our pacing
would add up and one channel's Retry-After would stall every channel.

Each channel's turn is claimed in the deployment's chat budget (core/chat_budget.py): in
this process alone on SQLite (MemoryBudget), in the database on PostgreSQL, so N workers
together send a channel at most one message per interval. A channel another process holds
is not waited for: its local turn moves on, and other channels are sent meanwhile.

A process that starts before Slack has confirmed the bot token builds its outbox `paused`:
jobs queue up (coalesced by key) instead of spending their attempts on a Slack that is
down, and `resume()` sends them once Slack answers."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, OrderedDict
from typing import Callable, Hashable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from core.chat_budget import ChatBudget, Claim, MemoryBudget
from core.findings.ports import Deferred  # a job that cannot run yet (another worker is posting that message)
from handlers.slack_budget import NotYet, channel_lane, retry_after

__all__ = ["Deferred", "Outbox", "outbox_client"]

log = logging.getLogger("firebreak.outbox")
MAX_ATTEMPTS = 5  # per job, for failures other than 429 and deferrals
# A stopping process sends what is queued for this long: with the jobs' grace (core.jobs)
# a worker exits within 10 s of SIGTERM; what is left is sent after the next start.
CLOSE_SECONDS = 2.0


def outbox_client(token: str, api_url: str | None) -> WebClient:
    """A Web API client for paced jobs: retries connection errors, leaves 429 to the outbox."""
    client = WebClient(token=token, base_url=(api_url or "https://slack.com/api/").rstrip("/") + "/", timeout=10)
    client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
    return client


class Outbox:
    def __init__(self, interval: float, *, now: Callable[[], float] = time.monotonic, paused: bool = False,
                 budget: ChatBudget | None = None):
        self.interval = interval
        self.budget = budget or MemoryBudget()
        self._now = now
        self._paused = paused
        self._cond = threading.Condition()
        self._queues: dict[str, OrderedDict[Hashable, tuple[Callable[[], None], int]]] = {}
        self._next_at: dict[str, float] = {}
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self.stats: Counter = Counter()  # sent, ratelimited, deferred, failed, dropped, waited (budget turns)

    def submit(self, channel: str, key: Hashable, job: Callable[[], None]) -> None:
        with self._cond:
            queue = self._queues.setdefault(channel, OrderedDict())
            attempts = queue[key][1] if key in queue else 0
            queue[key] = (job, attempts)  # replaces a waiting job of the same key, keeping its place
            if self._thread is None or not self._thread.is_alive():
                self._closed = False
                self._thread = threading.Thread(target=self._run, name="firebreak-outbox", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def resume(self) -> None:
        """Start sending (a paused outbox: Slack has answered)."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._queues.values()) + self._busy

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted has been sent (or given up); False on timeout, or at
        once while paused with work queued (it stays pending in the database)."""
        deadline = None if timeout is None else self._now() + timeout
        with self._cond:
            if self._paused:
                return not any(self._queues.values())
            while any(self._queues.values()) or self._busy:
                left = None if deadline is None else deadline - self._now()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is None else min(left, 0.5))
            return True

    def close(self, timeout: float = CLOSE_SECONDS) -> bool:
        """Send what is queued (up to `timeout`), then stop; unsent work stays pending in
        the database and is found again on the next start."""
        drained = self.drain(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
        return drained

    # ------------------------------------------------------------------ the sender
    def _next(self) -> tuple[str, Hashable, Callable[[], None], int] | None:
        """Wait for the due channel with work; None when closed."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                ready = [] if self._paused else [c for c, q in self._queues.items() if q]
                if ready:
                    channel = min(ready, key=lambda c: self._next_at.get(c, 0.0))
                    wait = self._next_at.get(channel, 0.0) - self._now()
                    if wait <= 0:
                        key, (job, attempts) = self._queues[channel].popitem(last=False)
                        self._busy += 1
                        return channel, key, job, attempts
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _run(self) -> None:
        while (item := self._next()) is not None:
            channel, key, job, attempts = item
            claim = self._claim(channel)
            if not isinstance(claim, Claim):  # another process's turn in this channel: others first
                self.stats["waited"] += 1
                self._finish(channel, key, job, attempts, claim, True)
                continue
            attempts, delay, retry, sent = self._attempt(channel, key, job, attempts)
            try:
                self.budget.release(claim, sent=sent)
            except Exception:  # noqa: BLE001 - the channel's hold runs out by itself (core.chat_budget)
                log.warning("could not release the turn in %s", channel, exc_info=True)
            self._finish(channel, key, job, attempts, delay, retry)

    def _claim(self, channel: str) -> Claim | float:
        """The channel's turn in the budget, or the seconds until it may be asked again."""
        try:
            return self.budget.claim([channel_lane(channel, self.interval)])
        except Exception:  # noqa: BLE001 - the database is away: the sender must not die
            log.warning("could not claim a turn in %s; trying again in a second", channel, exc_info=True)
            return 1.0

    def _attempt(self, channel: str, key: Hashable, job: Callable[[], None],
                 attempts: int) -> tuple[int, float, bool, bool]:
        """Run the job once: (attempts, delay before the channel's next turn, run it again?,
        did anything reach Slack?)."""
        try:
            job()
            self.stats["sent"] += 1
        except NotYet as exc:  # the method's budget (its tier, or a 429 another process saw)
            self.stats["waited"] += 1
            return attempts, exc.after, True, False
        except SlackApiError as exc:
            if exc.response.status_code == 429:  # not a failure: wait as told, then again
                self.stats["ratelimited"] += 1
                return attempts, retry_after(exc), True, True
            attempts, retry = self._failed(channel, key, attempts, exc)
            return attempts, self.interval, retry, True
        except Deferred as exc:
            self.stats["deferred"] += 1
            return attempts + 1, max(exc.after, self.interval), attempts < 20, False
        except Exception as exc:  # noqa: BLE001 - one bad job must not stop the sender
            attempts, retry = self._failed(channel, key, attempts, exc)
            return attempts, self.interval, retry, True
        return attempts, self.interval, False, True

    def _failed(self, channel: str, key: Hashable, attempts: int, exc: Exception) -> tuple[int, bool]:
        self.stats["failed"] += 1
        attempts += 1
        if attempts >= MAX_ATTEMPTS:
            self.stats["dropped"] += 1
            log.error("giving up on Slack message %s in %s after %d attempts (it stays pending in the "
                      "database): %s", key, channel, attempts, exc)
            return attempts, False
        log.warning("Slack message %s in %s failed (attempt %d): %s", key, channel, attempts, exc)
        return attempts, True

    def _finish(self, channel: str, key: Hashable, job: Callable[[], None], attempts: int, delay: float,
                retry: bool) -> None:
        with self._cond:
            self._busy -= 1
            self._next_at[channel] = self._now() + delay
            if retry:
                queue = self._queues.setdefault(channel, OrderedDict())
                if key not in queue:  # a newer job of the same key supersedes this one
                    queue[key] = (job, attempts)
                    queue.move_to_end(key, last=False)
            self._cond.notify_all()
