"""The clock in-process: persisted jobs that survive a restart and a failover, jobs that
reach their sweep, the lease deciding who runs, and fencing when it is lost."""

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from composition import build_services
from core.errors import ConfigError
from core.nulls import NoNotices, NoPager
from composition.clock import RUN, ClockRunner, clock_runner, ensure_jobs, make_scheduler, run_clock
from core.scheduling.leader import Leader
from core.scheduling.registry import EXPIRY_HOOKS, SweepRegistry, default_registry
from store.scheduling.repository import SqlClockLeaseRepository
from tests.support.scheduling import with_scheduling
from tests.support.slack import eventually


@pytest.fixture
def services(settings, clock):
    built = build_services(with_scheduling(settings), clock=clock)
    yield built
    built.drain()


def counting_registry(every=60):
    runs = []
    registry = SweepRegistry()
    registry.register("count", lambda services: runs.append(services.clock.now()) or 1, every)
    registry.register("other", lambda services: 0, every)
    return registry, runs


def runner(services, holder, registry):
    leader = Leader(SqlClockLeaseRepository(services.db), holder, timedelta(seconds=30))
    return ClockRunner(services, registry, leader, renew_seconds=10)


def stored_jobs(services) -> dict[str, float]:
    with services.db.engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all())


def expire_lease(services):
    """What time does to a lease whose holder died (the database decides expiry)."""
    with services.db.engine.begin() as conn:
        conn.execute(text("UPDATE scheduler_leases SET expires_at = :past"),
                      {"past": datetime(2000, 1, 1, tzinfo=timezone.utc)})


def test_jobs_are_persisted_and_a_restart_keeps_their_schedule(services):
    registry, _ = counting_registry()
    first = runner(services, "clock-a", registry)
    assert first.step() and first.active
    before = stored_jobs(services)
    assert set(before) == {"count", "other"}
    first.close()
    assert stored_jobs(services) == before  # still there with the stopped clock

    second = runner(services, "clock-b", registry)
    assert second.step()
    assert stored_jobs(services) == before  # picked up, not re-added: next run times kept
    second.close()


def test_a_changed_interval_reschedules_and_a_retired_sweep_is_dropped(services):
    registry, _ = counting_registry(every=60)
    clock_a = runner(services, "clock-a", registry)
    clock_a.step()
    clock_a.close()
    changed = SweepRegistry()
    changed.register("count", lambda services: 0, 120)
    clock_b = runner(services, "clock-b", changed)
    clock_b.step()
    [job] = clock_b.scheduler.get_jobs()
    assert (job.id, job.trigger.interval, job.func_ref) == ("count", timedelta(seconds=120), RUN)
    clock_b.close()


def test_a_due_job_runs_its_sweep_with_the_services_clock(services, clock):
    registry, runs = counting_registry()
    clock_a = runner(services, "clock-a", registry)
    clock_a.step()
    clock_a.scheduler.modify_job("count", next_run_time=datetime.now(timezone.utc))
    eventually(lambda: runs)
    assert runs == [clock.now()] and clock_a.last_run["count"][1] == 1
    clock_a.close()


def test_only_the_lease_holder_runs_and_another_takes_over_when_it_expires(services):
    registry, _ = counting_registry()
    clock_a, clock_b = runner(services, "clock-a", registry), runner(services, "clock-b", registry)
    assert clock_a.step() and not clock_b.step()
    assert clock_a.active and not clock_b.active
    expire_lease(services)  # clock-a stopped renewing (it hung or died)
    assert clock_b.step() and clock_b.active
    assert not clock_a.step() and not clock_a.active  # it notices and stands down
    clock_b.close()
    assert clock_a.step()  # a graceful stop hands the lease over at once
    clock_a.close()


def test_a_sweep_is_skipped_once_the_lease_is_not_confirmed(services):
    registry, runs = counting_registry()
    clock_a, clock_b = runner(services, "clock-a", registry), runner(services, "clock-b", registry)
    clock_a.step()
    expire_lease(services)
    clock_b.step()
    clock_a.leader.hold()  # the renewal fails: clock-b holds it now
    clock_a.run_sweep("count")
    assert runs == []
    clock_a.close()
    clock_b.close()


def test_run_stands_by_then_stops_and_hands_the_lease_over(services):
    registry, _ = counting_registry()
    clock_a, clock_b = runner(services, "clock-a", registry), runner(services, "clock-b", registry)
    clock_b.step()
    clock_a.renew_seconds = 0.05
    stop = threading.Event()
    thread = threading.Thread(target=clock_a.run, args=(stop,))
    thread.start()
    try:
        time.sleep(0.2)  # a few renewal rounds
        assert not clock_a.active  # clock-b holds the lease
        clock_b.close()
        eventually(lambda: clock_a.active)
    finally:
        stop.set()
        thread.join(10)
    assert not clock_a.active and SqlClockLeaseRepository(services.db).holder("clock") is None


class DownStore:
    def acquire(self, *args):
        raise OSError("database unreachable")


def test_an_unreachable_database_keeps_the_lease_only_until_its_own_deadline():
    now = [100.0]
    leader = Leader(SqlClockLeaseRepository.__new__(SqlClockLeaseRepository), "clock-a", timedelta(seconds=30), monotonic=lambda: now[0])
    leader.leases.acquire = lambda *args: True
    assert leader.hold()
    leader.leases = DownStore()
    now[0] = 129.0
    assert leader.hold() and leader.valid()
    now[0] = 130.0
    assert not leader.hold() and not leader.valid()


def test_the_default_registry_runs_reminders_escalations_and_expiry_hooks(services):
    registry = default_registry(services, NoNotices(), NoPager(), "clock-a")
    assert [s.name for s in registry] == ["update-reminders", "sla-escalations", "review-reminders",
                                         *(n for n, _ in EXPIRY_HOOKS), "containment-recovery"]
    recovery = registry.get("containment-recovery")
    assert recovery.every_seconds == services.config.containment.recovery_interval_seconds
    assert {s.every_seconds for s in registry if s is not recovery} == {services.config.scheduling.sweep_seconds}
    assert "finding-snoozes" in [n for n, _ in EXPIRY_HOOKS]
    with pytest.raises(ValueError, match="registered already"):
        registry.register("update-reminders", lambda s: 0, 60)


def test_ensure_jobs_keeps_jobs_that_are_not_sweeps(services):
    registry, _ = counting_registry()
    scheduler = make_scheduler(services, 1)
    scheduler.start(paused=True)
    try:
        scheduler.add_job("builtins:print", "interval", seconds=60, id="someone-elses")
        assert sorted(ensure_jobs(scheduler, registry)) == ["count", "other", "someone-elses"]
    finally:
        scheduler.shutdown(wait=False)


def test_unknown_severities_stop_the_clock_before_it_starts(settings, clock):
    services = build_services(with_scheduling(settings, update_reminder_minutes={"sev9": 5}), clock=clock)
    try:
        with pytest.raises(ConfigError, match=r"scheduling.update_reminder_minutes.sev9: unknown severity"):
            run_clock(services, threading.Event())
    finally:
        services.drain()


def gone():
    """A job function that later moves away (as core.scheduling.jobs:run_sweep did)."""


def test_a_stored_job_whose_function_moved_is_replaced_not_fatal(services, monkeypatch):
    registry, _ = counting_registry()
    scheduler = make_scheduler(services, 1)
    scheduler.start(paused=True)
    try:
        scheduler.add_job(f"{__name__}:gone", "interval", seconds=60, id="count", name="count")
    finally:
        scheduler.shutdown(wait=False)
    monkeypatch.delitem(globals(), "gone")  # the stored reference no longer resolves
    clock_a = runner(services, "clock-a", registry)
    try:
        assert clock_a.step() and clock_a.active
        assert {job.id: job.func_ref for job in clock_a.scheduler.get_jobs()} == {"count": RUN, "other": RUN}
    finally:
        clock_a.close()


def test_the_clock_posts_what_the_browser_changed_while_slack_was_down(services):
    from core.browser import changes

    runner = clock_runner(services)
    sweep = runner.registry.get("browser-changes")
    assert sweep is not None and sweep.run is changes.deliver_pending
    assert sweep.every_seconds == services.config.scheduling.sweep_seconds
