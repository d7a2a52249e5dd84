"""The pool that runs the work after Slack's ack, and knows when it is idle.

Shutdown drains it (Services.drain); the local workspace's `settle()` waits on it, so tests
and demos see the result of a command without polling for it."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor


class WorkPool(ThreadPoolExecutor):
    def __init__(self, max_workers: int, thread_name_prefix: str = "firebreak-work"):
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._idle:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing is queued or running (False if `timeout` ran out first)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)
