"""The pool that runs the work after Slack's ack, as a port: composition/work_pool.py
implements it on a thread pool (Bolt runs its lazy listeners there), and shutdown drains it."""

from __future__ import annotations

from typing import Any, Callable, Protocol


class WorkPool(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run `fn(*args, **kwargs)` soon, in the background."""

    def shutdown(self, wait: bool = True) -> None:
        """Take no more work; with `wait`, let the work already accepted finish."""

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing is queued or running (False if `timeout` ran out first)."""
