"""Starting while a platform (Slack, AWS) is briefly down.

A process that exits because Slack answered 500 once is restarted, fails again, and in the
meantime stores nothing: an outage becomes lost findings. So a start-up call is retried
while its failure is transient (5xx, 429, timeouts, connection errors), with a capped
exponential backoff, and the process keeps doing the work that needs no platform; only a
definitive refusal (a revoked token, invalid credentials) stops it, with a message naming
the error. The adapters decide which failure is which (`classify`); this module decides
what to do about it, with the sleeper injected so tests wait for nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

from core.errors import FirebreakError

log = logging.getLogger("firebreak.startup")
T = TypeVar("T")
Sleep = Callable[[float], bool]  # waits up to n seconds; True when the process is stopping (Event.wait)


@dataclass(frozen=True)
class Backoff:
    """first, first*factor, ... capped: 1, 2, 4, 8, 16, 30, 30, ... seconds by default."""

    first_seconds: float = 1.0
    factor: float = 2.0
    cap_seconds: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first_seconds
        while True:
            yield min(delay, self.cap_seconds)
            delay = min(delay * self.factor, self.cap_seconds)


@dataclass(frozen=True)
class Failure:
    """What an adapter made of a failed call: a reason safe to log (never a secret)."""

    reason: str
    definitive: bool = False  # retrying cannot help (revoked token, invalid credentials)
    retry_after: float | None = None  # the platform asked for at least this long (429 Retry-After)


class StartupRefused(FirebreakError):
    """The platform refused for good at start-up; the process stops with this message."""

    def __init__(self, message: str, failure: Failure):
        super().__init__(message)
        self.failure = failure


def until_ready(attempt: Callable[[], T], classify: Callable[[Exception], Failure | None], *, what: str,
                sleep: Sleep, refused: Callable[[Failure], str], backoff: Backoff = Backoff(),
                waiting: str = "") -> T | None:
    """`attempt()` until it returns (its result), or None once `sleep` says the process is
    stopping. A transient failure is logged once per attempt with its reason and retried
    after the next delay; a definitive one raises StartupRefused(refused(failure)). An
    exception `classify` does not recognise (None) is a bug and propagates as it is."""
    for number, delay in enumerate(backoff.delays(), 1):
        try:
            result = attempt()
        except Exception as exc:  # noqa: BLE001 - classified below; unknown ones are re-raised
            failure = classify(exc)
            if failure is None:
                raise
            if failure.definitive:
                raise StartupRefused(refused(failure), failure) from exc
            delay = max(delay, failure.retry_after or 0.0)
            log.warning("%s: attempt %d failed (%s); trying again in %g s%s", what, number, failure.reason, delay,
                        f"; meanwhile {waiting}" if waiting else "")
            if sleep(delay):
                return None
            continue
        if number > 1:
            log.info("%s: answered at attempt %d", what, number)
        return result
    raise AssertionError("unreachable: the backoff never ends")
