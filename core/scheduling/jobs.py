"""The persisted APScheduler jobs: one interval job per sweep, stored in `apscheduler_jobs`.

APScheduler 3 persists a job as a textual reference to a module-level function plus
pickled arguments, so a job cannot carry the live database or Slack client. Every job
therefore calls `run_sweep(name)`, and the clock that is active in this process binds
itself here while it holds the lease (at most one per process, by the lease)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Protocol

from core.scheduling.registry import SweepRegistry

RUN = "core.scheduling.jobs:run_sweep"
log = logging.getLogger("firebreak.clock")


class _Runner(Protocol):
    def run_sweep(self, name: str) -> None: ...


class _Bound:
    def __init__(self) -> None:
        self._runner: _Runner | None = None
        self._lock = threading.Lock()

    def bind(self, runner: _Runner) -> None:
        with self._lock:
            self._runner = runner

    def unbind(self, runner: _Runner) -> None:
        with self._lock:
            if self._runner is runner:
                self._runner = None

    def current(self) -> _Runner | None:
        with self._lock:
            return self._runner


BOUND = _Bound()


def run_sweep(name: str) -> None:
    """What every persisted job calls."""
    runner = BOUND.current()
    if runner is None:
        log.warning("job %s fired with no active clock in this process; skipped", name)
        return
    runner.run_sweep(name)


def ensure_jobs(scheduler, registry: SweepRegistry) -> list[str]:
    """Add the job of each sweep unless it is stored already with the same interval (so a
    restart or a failover keeps each job's next run time); drop jobs of sweeps that no
    longer exist. Returns the job ids."""
    for sweep in registry:
        job = scheduler.get_job(sweep.name)
        interval = timedelta(seconds=sweep.every_seconds)
        if job is not None and getattr(job.trigger, "interval", None) == interval and job.func_ref == RUN:
            continue
        scheduler.add_job(RUN, "interval", seconds=sweep.every_seconds, id=sweep.name, name=sweep.name,
                          args=[sweep.name], replace_existing=True)
    for job in scheduler.get_jobs():
        if job.func_ref == RUN and registry.get(job.id) is None:
            log.info("removing job %s: no such sweep any more", job.id)
            job.remove()
    return [job.id for job in scheduler.get_jobs()]
