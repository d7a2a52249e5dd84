"""`python bot.py clock`: stand by until this process holds the lease, then run the
persisted jobs with APScheduler; stop them as soon as the lease is lost, and hand the
lease over on a graceful stop. APScheduler 3 does not coordinate several schedulers on
one job store, which is exactly why only the lease holder starts one."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from core.errors import ConfigError
from core.scheduling import config as scheduling_config
from core.scheduling.jobs import BOUND, ensure_jobs
from core.scheduling.leader import Leader
from core.scheduling.registry import SweepRegistry, default_registry
from core.services import Services

log = logging.getLogger("firebreak.clock")


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def make_scheduler(services: Services, workers: int) -> BackgroundScheduler:
    # Sweeps are idempotent and decide from the database, so a late run is run once
    # (coalesce) however late (no misfire grace limit), and never beside itself.
    return BackgroundScheduler(
        jobstores={"default": services.repos.scheduler_jobs()}, executors={"default": ThreadPoolExecutor(workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}, timezone=timezone.utc)


class ClockRunner:
    def __init__(self, services: Services, registry: SweepRegistry, leader: Leader, *, renew_seconds: float):
        self.services = services
        self.registry = registry
        self.leader = leader
        self.renew_seconds = renew_seconds
        self.scheduler: BackgroundScheduler | None = None
        self.last_run: dict[str, tuple[float, object]] = {}  # sweep -> (seconds, result)

    @property
    def active(self) -> bool:
        return self.scheduler is not None

    def step(self) -> bool:
        """Renew or take the lease, and start or stop the scheduler to match."""
        held = self.leader.hold()
        if held and not self.active:
            self._activate()
        elif not held and self.active:
            log.warning("clock %s: lease lost; standing by", self.leader.holder)
            self._stand_down(wait=False)
        return held

    def run(self, stop: threading.Event) -> None:
        log.info("clock %s: started; lease %.0f s, renewed every %.1f s", self.leader.holder,
                 self.leader.ttl.total_seconds(), self.renew_seconds)
        was_held = None
        try:
            while not stop.is_set():
                try:
                    held = self.step()
                except Exception:  # noqa: BLE001 - e.g. the job store was unreachable: try again
                    log.exception("clock %s: could not start the scheduler; retrying", self.leader.holder)
                    held = False
                if not held and was_held is not False:
                    log.info("clock %s: standing by (another clock holds the lease)", self.leader.holder)
                was_held = held
                stop.wait(self.renew_seconds)
        finally:
            self.close()

    def close(self) -> None:
        """Finish the sweeps in hand, then hand the lease over."""
        if self.active:
            self._stand_down(wait=True)
        self.leader.release()
        log.info("clock %s: stopped", self.leader.holder)

    def run_sweep(self, name: str) -> None:
        """One job run; skipped when the lease may have run out meanwhile (fencing)."""
        sweep = self.registry.get(name)
        if sweep is None or not self.leader.valid():
            log.warning("clock %s: sweep %s skipped (%s)", self.leader.holder, name,
                        "unknown sweep" if sweep is None else "lease not confirmed")
            return
        started = time.perf_counter()
        result = sweep.run(self.services)
        seconds = time.perf_counter() - started
        self.last_run[name] = (seconds, result)
        log.log(logging.INFO if result else logging.DEBUG, "sweep %s: %s in %.3f s", name, result, seconds)

    def _activate(self) -> None:
        scheduler = make_scheduler(self.services, max(1, len(self.registry)))
        scheduler.start(paused=True)
        try:
            jobs = ensure_jobs(scheduler, self.registry)
        except Exception:
            scheduler.shutdown(wait=False)
            raise
        BOUND.bind(self)
        self.scheduler = scheduler
        scheduler.resume()
        log.info("clock %s: active with %d job(s): %s", self.leader.holder, len(jobs), ", ".join(jobs))

    def _stand_down(self, *, wait: bool) -> None:
        scheduler, self.scheduler = self.scheduler, None
        scheduler.shutdown(wait=wait)
        BOUND.unbind(self)


def run_clock(services: Services, stop: threading.Event) -> int:
    """The clock process: exits when `stop` is set (SIGTERM, SIGINT). Besides the reminders
    and escalations it runs the finding polls the composition root configured."""
    problems = scheduling_config.problems(services.config)
    if problems:
        raise ConfigError(problems)
    cfg, holder = services.config.scheduling, holder_id()
    if services.notices is None:
        log.warning("no SLACK_BOT_TOKEN: reminders and escalations are not posted in Slack")
    registry = default_registry(services, services.notices, services.pager, holder)
    for name, run, seconds in services.finding_polls:
        registry.register(name, run, seconds)
    leader = Leader(services.repos.clock_leases, holder, timedelta(seconds=cfg.lease_seconds))
    ClockRunner(services, registry, leader, renew_seconds=cfg.lease_seconds / 3).run(stop)
    return 0
