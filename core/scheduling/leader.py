"""Leader election: the clock that holds the database lease runs the scheduler.

Why a lease row and not PostgreSQL advisory locks: it works the same on SQLite and
PostgreSQL, it survives connection-pool churn (an advisory lock dies with its session,
silently), and `scheduler_leases` shows who is active. The holder renews every third of
the lease; a clock that dies stops renewing and another takes over once the lease ran
out (at most lease + one renewal interval later). Expiry is judged by the database's
clock on PostgreSQL, so clock skew between hosts cannot hand the lease out early.

The holder also keeps its own monotonic deadline, measured from *before* each renewal
request: when the database is unreachable it stops acting before anyone else may take
over, rather than trusting a lease it can no longer renew."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Callable

from core.scheduling.ports import ClockLeaseRepository

LEASE_NAME = "clock"
log = logging.getLogger("firebreak.clock")


class Leader:
    def __init__(self, leases: ClockLeaseRepository, holder: str, ttl: timedelta, *, name: str = LEASE_NAME,
                 monotonic: Callable[[], float] = time.monotonic):
        self.leases = leases
        self.holder = holder
        self.ttl = ttl
        self.name = name
        self._monotonic = monotonic
        self._valid_until = 0.0

    def hold(self) -> bool:
        """Take or renew the lease; True while this clock may act."""
        started = self._monotonic()
        try:
            held = self.leases.acquire(self.name, self.holder, self.ttl)
        except Exception:  # noqa: BLE001 - the database hiccuped: ours until our own deadline
            log.warning("clock %s: could not renew the lease", self.holder, exc_info=True)
            return self.valid()
        self._valid_until = started + self.ttl.total_seconds() if held else 0.0
        return held

    def valid(self) -> bool:
        return self._monotonic() < self._valid_until

    def release(self) -> None:
        """Hand the lease over at once (a graceful stop), instead of letting it run out."""
        self._valid_until = 0.0
        try:
            self.leases.release(self.name, self.holder)
        except Exception:  # noqa: BLE001 - it expires by itself
            log.warning("clock %s: could not release the lease; it expires in %s", self.holder, self.ttl,
                        exc_info=True)
