"""A long-running process (serve, worker, clock) starting while Slack may be failing.

The bot token is confirmed with auth.test in a background thread, retried with a backoff
while Slack's failure is transient (core.startup, handlers.startup); meanwhile the process
does what needs no Slack. Once Slack answers, what waited for it starts (the process's
`on_slack`, then the caller's `then`: e.g. job workers). A refusal of the token calls
`on_refused` so the process stops, and `raise_if_refused` ends it with Slack's error."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable, Iterable

from core.startup import Backoff, Sleep, until_ready
from handlers.startup import refused_message, slack_failure

if TYPE_CHECKING:
    from composition import Process

log = logging.getLogger("firebreak.startup")


class SlackStartup:
    """One per process: `start()` in the background (serve, worker, clock) or `run()` here
    (the local workspace, Socket Mode); `sleep` and `backoff` are injectable for tests."""

    def __init__(self, process: "Process", *, then: Iterable[Callable[[], object]] = (),
                 on_refused: Callable[[], object] = lambda: None, waiting: str = "", sleep: Sleep | None = None,
                 backoff: Backoff | None = None):
        self._process, self._then, self._on_refused = process, tuple(then), on_refused
        cap = process.services.config.slack.startup_retry_max_seconds
        self._waiting, self._backoff = waiting, backoff or Backoff(cap_seconds=cap)
        self._stopping = threading.Event()
        self._sleep = sleep or self._stopping.wait
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: Exception | None = None  # why it stopped the process (StartupRefused, or a bug)
        self.confirmed = threading.Event()

    def run(self) -> bool:
        """Confirm the token in this thread; True once Slack answered and what waited started,
        False when stopped first. A refusal raises StartupRefused."""
        if self._process.slack_check is None:
            raise ValueError("this process has no Slack token to confirm")
        answer = until_ready(self._process.slack_check, slack_failure, what="Slack (auth.test)", sleep=self._sleep,
                             refused=refused_message, backoff=self._backoff, waiting=self._waiting)
        with self._lock:  # never start anything once the process is stopping
            if answer is None or self._stopping.is_set():
                return False
            self._process.slack_answered(answer)
            for start in self._then:
                start()
            self.confirmed.set()
        log.info("Slack confirmed the bot token (bot user %s, team %s)", answer.get("user_id"), answer.get("team_id"))
        return True

    def start(self) -> "SlackStartup":
        """Run in the background."""
        self._thread = threading.Thread(target=self._background, name="firebreak-slack-startup", daemon=True)
        self._thread.start()
        return self

    def _background(self) -> None:
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 - the main thread reports it (raise_if_refused)
            self.error = exc
            self._on_refused()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop retrying; nothing starts after this returns (a call to Slack in flight may
        finish in the background, its answer unused)."""
        with self._lock:
            self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def raise_if_refused(self) -> None:
        if self.error is not None:
            raise self.error
