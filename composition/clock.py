"""The clock's runtime: `python bot.py clock` and the local workspace's scheduler.

Core decides what runs and when (core/scheduling: the sweeps, their registry, the lease);
this is the machinery that runs it. The process stands by until it holds the lease, then
runs the persisted jobs with APScheduler; it stops them as soon as the lease is lost, and
hands the lease over on a graceful stop. APScheduler 3 does not coordinate several
schedulers on one job store, which is exactly why only the lease holder starts one.

APScheduler persists a job as a textual reference to a module-level function plus pickled
arguments, so a job cannot carry the live database or Slack client. Every job therefore
calls `run_sweep(name)`, and the clock that is active in this process binds itself here
while it holds the lease (at most one per process, by the lease): `BOUND` is the one
process-wide binding the scheduler's persistence forces on us."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import timedelta, timezone
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from core.browser import changes as browser_changes
from core.errors import ConfigError
from core.scheduling import config as scheduling_config
from core.reports.digest import ReportDigest
from core.scheduling.delivery import Deliverer
from core.scheduling.leader import Leader
from core.scheduling.registry import SweepRegistry, default_registry
from core.services import Services
from store.scheduling.repository import job_store

log = logging.getLogger("firebreak.clock")
RUN = "composition.clock:run_sweep"


def holder_id() -> str:
    """Who holds a lease or runs a job: host, process and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


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
    # Listing first lets the job store drop jobs it cannot restore (a function that moved,
    # e.g. core.scheduling.jobs:run_sweep before this module): they are added again below.
    scheduler.get_jobs()
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


def make_scheduler(services: Services, workers: int) -> BackgroundScheduler:
    # Sweeps are idempotent and decide from the database, so a late run is run once
    # (coalesce) however late (no misfire grace limit), and never beside itself.
    return BackgroundScheduler(
        jobstores={"default": job_store(services.db)}, executors={"default": ThreadPoolExecutor(workers)},
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


def clock_runner(services: Services) -> ClockRunner:
    """The clock of this process: every sweep of the registry plus the finding polls the root
    configured, behind the lease. Refuses a scheduling config with problems."""
    problems = scheduling_config.problems(services.config)
    if problems:
        raise ConfigError(problems)
    cfg, holder = services.config.scheduling, holder_id()
    registry = default_registry(services, services.notices, services.pager, holder)
    if services.config.reports.schedule:  # the program report's digest (core/reports/digest.py)
        registry.register(ReportDigest.name, ReportDigest(services.notices, Deliverer(
            services.repos.notices, holder, services.clock)), cfg.sweep_seconds)
    # changes made in the browser view while Slack was down, posted in their channels now
    registry.register("browser-changes", browser_changes.deliver_pending, cfg.sweep_seconds)
    for name, run, seconds in services.finding_polls:
        registry.register(name, run, seconds)
    leader = Leader(services.repos.clock_leases, holder, timedelta(seconds=cfg.lease_seconds))
    return ClockRunner(services, registry, leader, renew_seconds=cfg.lease_seconds / 3)


def run_clock(services: Services, stop: threading.Event) -> int:
    """The clock process: exits when `stop` is set (SIGTERM, SIGINT). Besides the reminders
    and escalations it runs the finding polls the composition root configured."""
    runner = clock_runner(services)
    if not services.settings.secrets.slack_bot_token:
        log.warning("no SLACK_BOT_TOKEN: reminders and escalations are not posted in Slack")
    runner.run(stop)
    return 0


class LocalClock:
    """The scheduler inside the local workspace: the same ClockRunner as `bot.py clock` (the
    lease included, so a separate clock process on the same database simply stands by), in a
    thread; `sweep_now` runs every sweep at once when the console has moved the time."""

    def __init__(self, services: Services):
        self.runner = clock_runner(services)
        try:  # hold the lease before the console can ask for a sweep; the thread renews it
            self.runner.step()
        except Exception:  # noqa: BLE001 - the thread's loop retries (and logs) it
            log.debug("local clock: first lease attempt failed", exc_info=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.runner.run, args=(self._stop,), name="local-clock",
                                        daemon=True)
        self._thread.start()
        self._sweeping = threading.Lock()

    def sweep_now(self) -> dict[str, object]:
        """Every sweep, in the caller's thread, so what they post is out before this returns;
        {sweep: what it handled}. Nothing runs while another clock holds the lease."""
        results: dict[str, object] = {}
        with self._sweeping:
            if not self.runner.leader.valid():
                return results
            for sweep in self.runner.registry:
                try:
                    self.runner.run_sweep(sweep.name)
                except Exception:  # noqa: BLE001 - as the scheduler does: logged, retried next time
                    log.exception("sweep %s failed", sweep.name)
                    continue
                results[sweep.name] = self.runner.last_run.get(sweep.name, (0.0, None))[1]
        return results

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
