"""Durable work after the ack: nothing acknowledged is lost when a process dies, nothing is
applied twice, and jobs that keep failing end as dead letters that can be retried.

`serve` and `worker` run as real subprocesses against the workspace's fake Slack and the
test database (SQLite, or PostgreSQL with DATABASE_URL), and are killed with SIGKILL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from composition import local_workspace
from core.incidents import service as incidents
from core.jobs import DEAD, DONE, Policy, RetryLater, Worker, run_one, utcnow
from local.slack_sender import SlackSender
from store.db import Database
from store.jobs import SqlJobRepository
from tests.conftest import REPO
from tests.support.cli import run_bot
from tests.support.slack import eventually

pytestmark = pytest.mark.slow


def _env(ws) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    env.pop("FINDINGS_QUEUE_URL", None)
    env.update({"SLACK_BOT_TOKEN": ws.fake.token, "SLACK_SIGNING_SECRET": ws.settings.secrets.slack_signing_secret,
                "SLACK_API_URL": ws.fake.api_url, "DATABASE_URL": ws.settings.secrets.database_url})
    return env


def _serve(ws) -> tuple[subprocess.Popen, SlackSender]:
    """`bot.py serve` (no worker: it only acks and enqueues) and a signer aimed at it."""
    proc = subprocess.Popen([sys.executable, str(REPO / "bot.py"), "serve", "--host", "127.0.0.1", "--port", "0"],
                            cwd=REPO, env=_env(ws), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url, deadline = None, time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        found = re.search(r"serving Slack requests on (http://[\d.:]+)/slack/events", proc.stdout.readline())
        url = found.group(1) if found else None
    assert url, "serve did not start"
    return proc, SlackSender(url, ws.settings.secrets.slack_signing_secret, response_url=ws.fake.response_url)


def _worker(ws, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "bot.py"), "worker", *extra], cwd=REPO, env=_env(ws),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def quiet_workspace(settings):
    """The workspace's bot acks and enqueues but runs no jobs (workers=0), like `bot.py serve`."""
    ws = local_workspace(settings, threads=2, workers=0)
    yield ws
    ws.stop()


def _incidents_titled(ws, prefix: str):
    from store.models import IncidentRow
    from sqlalchemy import select

    db = Database(ws.settings.secrets.database_url)
    try:
        with db.read() as session:
            return list(session.scalars(select(IncidentRow).where(IncidentRow.title.like(prefix + "%"))))
    finally:
        db.dispose()


def test_acknowledged_declares_and_notes_survive_a_killed_serve(quiet_workspace):
    ws = quiet_workspace
    alice, general = ws.user("alice"), ws.channel("general")
    existing = incidents.declare(ws.services, title="Standing incident", declared_by=alice,
                                 dedup_key="test:standing").incident
    serve, sender = _serve(ws)
    n = 4
    try:
        for k in range(n):
            assert sender.command("/incident", f"declare sev2 Crash test {k}", user=alice, channel=general).status == 200
            assert sender.command("/incident", f"note #{existing.id} crash note {k}", user=alice,
                                  channel=general).status == 200
    finally:
        serve.send_signal(signal.SIGKILL)  # right after the acks: no worker has run anything
        serve.wait()
    jobs = ws.services.repos.jobs
    assert jobs.active() == 2 * n
    assert _incidents_titled(ws, "Crash test") == []

    worker = _worker(ws)
    try:
        eventually(lambda: jobs.active() == 0, timeout=60, interval=0.1)
    finally:
        _stop(worker)
    declared = _incidents_titled(ws, "Crash test")
    assert sorted(i.title for i in declared) == [f"Crash test {k}" for k in range(n)]  # each exactly once
    assert all(i.channel_id for i in declared)
    entries, _ = ws.services.incidents.timeline_page(existing.id, page=1, per_page=200)
    notes = [e.text for e in entries if "crash note" in e.text]
    assert sorted(notes) == sorted(f"crash note {k}" for k in range(n)), notes
    assert all(j.state == DONE for j in jobs.listed(limit=100))


def _run_jobs_in_a_worker(ws, timeout: float = 90) -> None:
    """Start `bot.py worker`, wait until no job is queued or running, stop it."""
    worker = _worker(ws)
    try:
        eventually(lambda: ws.services.repos.jobs.active() == 0, timeout=timeout, interval=0.1)
    finally:
        _stop(worker)


def test_acknowledged_approvals_and_notes_survive_a_killed_serve(moto_endpoint, quiet_workspace):
    from core.containment.flow import store as containment_store
    from store.audit.repository import SqlAuditRepository
    from tests.support.containment import eni_groups, instance

    ws = quiet_workspace
    alice, bob, general = ws.user("alice"), ws.user("bob"), ws.channel("general")
    n = 2
    instances = [instance()[0] for _ in range(n)]
    # Set-up through the real pipeline: an incident with its channel, then one isolation card per instance
    assert ws.sender.command("/incident", "declare sev2 Approval crash test", user=alice,
                             channel=general).status == 200
    _run_jobs_in_a_worker(ws)
    [incident] = _incidents_titled(ws, "Approval crash test")
    for instance_id in instances:
        assert ws.sender.command("/contain", f"isolate-instance {instance_id}", user=alice,
                                 channel=incident.channel_id).status == 200
    _run_jobs_in_a_worker(ws)
    requests = containment_store(ws.services).for_incident(incident.id)
    assert sorted(r.target for r in requests) == sorted(instances)
    assert all(r.state == "requested" and r.message_ts for r in requests)
    before = {instance_id: eni_groups(instance_id) for instance_id in instances}

    serve, sender = _serve(ws)
    try:
        for k, request in enumerate(requests):
            assert sender.block_action(user=bob, channel=incident.channel_id, value=str(request.id),
                                       action_id="contain_approve").status == 200
            assert sender.command("/incident", f"note approval crash note {k}", user=alice,
                                  channel=incident.channel_id).status == 200
    finally:
        serve.send_signal(signal.SIGKILL)  # right after the acks: no worker has run anything
        serve.wait()
    jobs = ws.services.repos.jobs
    assert jobs.active() == 2 * n
    assert all(containment_store(ws.services).get(r.id).state == "requested" for r in requests)
    assert {i: eni_groups(i) for i in instances} == before

    _run_jobs_in_a_worker(ws)
    audit = SqlAuditRepository(ws.services.db)
    for request in requests:
        assert containment_store(ws.services).get(request.id).state == "succeeded"
        events = [e["event"] for e in audit.for_request(request.id)]
        assert events.count("approved") == events.count("executing") == events.count("succeeded") == 1, events
        [groups] = eni_groups(request.target).values()
        assert len(groups) == 1 and groups != list(before[request.target].values())[0]  # isolated, once
    entries, _ = ws.services.incidents.timeline_page(incident.id, page=1, per_page=500)
    notes = [e.text for e in entries if "approval crash note" in e.text]
    assert sorted(notes) == [f"approval crash note {k}" for k in range(n)], notes  # each exactly once
    assert all(j.state == DONE for j in jobs.listed(limit=100))


def test_a_worker_killed_mid_job_leaves_it_to_the_next_once_its_lease_ends(quiet_workspace, monkeypatch):
    ws = quiet_workspace
    entered, killed = threading.Event(), threading.Event()
    original = ws.fake.api_conversations_create
    calls = []

    def slow_create(body):  # the first channel creation hangs until its worker is dead
        calls.append(body.get("name"))
        if len(calls) == 1:
            entered.set()
            killed.wait(30)
            raise RuntimeError("the worker that asked is gone")
        return original(body)

    monkeypatch.setattr(ws.fake, "api_conversations_create", slow_create)
    alice, general = ws.user("alice"), ws.channel("general")
    assert ws.sender.command("/incident", "declare sev2 Lease test", user=alice, channel=general).status == 200
    first = _worker(ws, "--lease-seconds", "2")
    try:
        assert entered.wait(60), "the worker never started the job"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed.set()
    [job] = ws.services.repos.jobs.listed()
    assert job.state == "running" and job.attempts == 1
    second = _worker(ws, "--lease-seconds", "2")
    try:
        eventually(lambda: ws.services.repos.jobs.active() == 0, timeout=60, interval=0.1)
    finally:
        _stop(second)
    [incident] = _incidents_titled(ws, "Lease test")
    assert incident.channel_id
    [job] = ws.services.repos.jobs.listed()
    assert job.state == DONE and job.attempts == 2
    entries, _ = ws.services.incidents.timeline_page(incident.id, page=1, per_page=200)
    assert sum("declared" in e.text.lower() for e in entries) == 1


def test_sigterm_to_a_busy_worker_exits_within_10s_and_its_job_runs_at_once_on_another(quiet_workspace,
                                                                                        monkeypatch):
    """Heroku and Kubernetes give 30 s between SIGTERM and SIGKILL: the worker uses 10 at
    most, and the job it could not finish is queued again at once, not after its 60 s lease."""
    ws = quiet_workspace
    entered, released = threading.Event(), threading.Event()
    original = ws.fake.api_conversations_create
    calls = []

    def slow_create(body):  # the first channel creation hangs (the fake Slack with it) until its worker is gone
        calls.append(body.get("name"))
        if len(calls) == 1:
            entered.set()
            released.wait(60)
            raise RuntimeError("the worker that asked is gone")
        return original(body)

    monkeypatch.setattr(ws.fake, "api_conversations_create", slow_create)
    alice, general = ws.user("alice"), ws.channel("general")
    assert ws.sender.command("/incident", "declare sev2 Graceful stop", user=alice, channel=general).status == 200
    busy = _worker(ws)  # the default lease: 60 s
    try:
        assert entered.wait(60), "the worker never started the job"
        started = time.monotonic()
        busy.send_signal(signal.SIGTERM)
        busy.wait(timeout=15)
        stopped_in = time.monotonic() - started
        released.set()
        [job] = ws.services.repos.jobs.listed()
        assert job.state == "queued" and job.locked_by is None and job.attempts == 0  # handed back, not failed
        other = _worker(ws)
        try:
            eventually(lambda: ws.services.repos.jobs.active() == 0, timeout=20, interval=0.1)
            taken_over_in = time.monotonic() - started
        finally:
            _stop(other)
    finally:
        if busy.poll() is None:
            busy.kill()
        released.set()
    assert busy.returncode == 0 and stopped_in < 10, (busy.returncode, stopped_in)
    assert "handed 1 unfinished job(s) back" in busy.stderr.read()
    assert taken_over_in < 30  # well inside the 60 s lease the old worker held
    [incident] = _incidents_titled(ws, "Graceful stop")
    assert incident.channel_id
    [job] = ws.services.repos.jobs.listed()
    assert job.state == DONE and job.attempts == 1


def test_a_job_failing_five_times_is_dead_and_jobs_retry_runs_it_again(clean_db):
    repo = SqlJobRepository(Database(clean_db))
    failing = {"left": 99}

    def execute(job, final):
        if failing["left"] > 0:
            failing["left"] -= 1
            raise RetryLater("Slack answered 503")

    repo.enqueue(key="test:flaky", route="test:flaky", payload={}, at=utcnow())
    policy = Policy(backoff_seconds=0.01, backoff_cap_seconds=0.02)
    for _ in range(5):
        eventually(lambda: run_one(repo, execute, "w", policy) is not None, timeout=5)
    [job] = repo.listed()
    assert job.state == DEAD and job.attempts == 5 and "503" in job.last_error
    assert run_one(repo, execute, "w", policy) is None  # dead letters are not picked up

    env = {"DATABASE_URL": clean_db}
    listed = run_bot("jobs", "list", "--failed", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"{job.id}" in listed.stdout and "dead" in listed.stdout and "test:flaky" in listed.stdout
    retried = run_bot("jobs", "retry", str(job.id), env=env)
    assert retried.returncode == 0, retried.stderr
    again = run_bot("jobs", "retry", str(job.id), env=env)
    assert again.returncode == 1 and "not dead" in again.stderr
    failing["left"] = 0
    assert run_one(repo, execute, "w", policy) is not None
    [job] = repo.listed()
    assert job.state == DONE and job.attempts == 1
    repo.db.dispose()


def test_a_slack_retry_enqueues_nothing_new(quiet_workspace):
    ws = quiet_workspace
    alice, general = ws.user("alice"), ws.channel("general")
    for _ in range(2):
        assert ws.sender.command("/incident", "declare sev3 Retried", user=alice, channel=general,
                                 trigger_id="1.2.retried").status == 200
    assert ws.services.repos.jobs.active() == 1
    assert "firebreak_duplicate_requests_total 1.0" in ws.services.telemetry.exposition().decode()


@pytest.mark.postgres
def test_two_workers_never_run_one_job_at_the_same_time(clean_db, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL-only: run with DATABASE_URL")
    repos = [SqlJobRepository(Database(clean_db)) for _ in range(2)]
    for k in range(60):
        repos[0].enqueue(key=f"test:{k}", route="test:slow", payload={"k": k}, at=utcnow())
    running: dict[int, int] = {}
    runs: list[int] = []
    overlaps: list[int] = []
    lock = threading.Lock()

    def execute(job, final):
        with lock:
            if running.get(job.id):
                overlaps.append(job.id)
            running[job.id] = running.get(job.id, 0) + 1
            runs.append(job.id)
        time.sleep(0.01)
        with lock:
            running[job.id] -= 1

    policy = Policy(lease_seconds=30, poll_seconds=0.05)
    workers = [Worker(repo, execute, f"w{n}", threads=4, policy=policy).start() for n, repo in enumerate(repos)]
    try:
        eventually(lambda: repos[0].active() == 0, timeout=60, interval=0.05)
    finally:
        for worker in workers:
            worker.stop()
        for repo in repos:
            repo.close()
            repo.db.dispose()
    assert overlaps == []
    assert sorted(runs) == sorted(set(runs)) and len(runs) == 60  # each job once


def test_an_expired_lease_lets_another_worker_claim_the_job(clean_db):
    repo = SqlJobRepository(Database(clean_db))
    repo.enqueue(key="test:lease", route="test:x", payload={}, at=utcnow())
    now = utcnow()
    first = repo.claim("a", now=now, lease=timedelta(seconds=5))
    assert first is not None and repo.claim("b", now=now, lease=timedelta(seconds=5)) is None
    second = repo.claim("b", now=now + timedelta(seconds=6), lease=timedelta(seconds=5))
    assert second is not None and second.id == first.id and second.attempts == 2
    assert not repo.finish(first.id, first.locked_by, at=now)  # the first worker lost it
    assert repo.finish(second.id, second.locked_by, at=now)
    repo.db.dispose()


@pytest.mark.postgres
def test_an_enqueue_after_the_servers_connections_were_dropped_still_commits_once(clean_db, is_postgres):
    """The ack's enqueue skips the pool's ping (one round trip instead of four); a connection
    the server dropped meanwhile (a failover, a restart) must not turn into a failed ack."""
    if not is_postgres:
        pytest.skip("PostgreSQL-only: run with DATABASE_URL")
    repo = SqlJobRepository(Database(clean_db))
    admin = Database(clean_db)
    try:
        assert repo.enqueue(key="test:before", route="test:r", payload={}, at=utcnow())
        with admin.engine.begin() as conn:  # drop every other session of this database, as a restart does
            dropped = conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()").scalar()
        assert dropped >= 1
        assert repo.enqueue(key="test:after", route="test:r", payload={}, at=utcnow())
        assert not repo.enqueue(key="test:after", route="test:r", payload={}, at=utcnow())  # still idempotent
        assert sorted(job.key for job in repo.listed()) == ["test:after", "test:before"]
    finally:
        repo.db.dispose()
        admin.dispose()
