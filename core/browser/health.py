"""The health page's figures, read from where `bot.py jobs list`, the clock's lease and the
findings intake keep them (nothing is counted twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.findings.timeutil import parse_timestamp
from core.scheduling.leader import LEASE_NAME
from core.services import Services

DEAD_SHOWN = 100  # dead letters listed (and counted up to)


@dataclass(frozen=True)
class Health:
    queued_jobs: int  # queued or running (`bot.py jobs list`)
    dead_jobs: list  # dead letters, newest first (`bot.py jobs list --failed`)
    clock_leader: str | None  # the clock holding the lease; None: no clock is running
    last_finding_at: datetime | None  # when the newest finding was received
    intake_lag: timedelta | None  # its receipt minus the time its source last saw it
    checked_at: datetime

    @property
    def since_last_finding(self) -> timedelta | None:
        if self.last_finding_at is None:
            return None
        at = self.last_finding_at if self.last_finding_at.tzinfo else self.last_finding_at.replace(
            tzinfo=self.checked_at.tzinfo)
        return max(timedelta(0), self.checked_at - at)


def read(services: Services) -> Health:
    jobs = services.repos.jobs
    newest = services.repos.findings.newest_received()
    lag = None
    if newest is not None and (seen := parse_timestamp(newest[0])) is not None:
        received = newest[1] if newest[1].tzinfo else newest[1].replace(tzinfo=seen.tzinfo)
        lag = max(timedelta(0), received - seen)
    return Health(queued_jobs=jobs.active(),
                  dead_jobs=jobs.listed(failed=True, limit=DEAD_SHOWN),
                  clock_leader=services.repos.clock_leases.holder(LEASE_NAME),
                  last_finding_at=newest[1] if newest else None, intake_lag=lag,
                  checked_at=services.clock.now())
