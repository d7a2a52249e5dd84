"""A stopping worker (SIGTERM) lets its jobs finish for a grace period, then hands back the
ones still running: queued again at once for any worker, not after their lease."""

import threading

from core.jobs import DONE, QUEUED, Worker, run_one, utcnow
from store.db import Database
from store.jobs import SqlJobRepository
from tests.support.slack import eventually


def test_a_job_still_running_after_the_grace_goes_back_to_the_queue_at_once(clean_db):
    repo = SqlJobRepository(Database(clean_db))
    started, finish = threading.Event(), threading.Event()

    def stuck(job, final):
        started.set()
        finish.wait(10)

    repo.enqueue(key="test:stuck", route="test:stuck", payload={}, at=utcnow())
    worker = Worker(repo, stuck, "busy", threads=1).start()
    try:
        assert started.wait(5)
        [job] = repo.listed()
        assert worker.stop(timeout=0.2) == [job.id]
        [job] = repo.listed()
        assert job.state == QUEUED and job.locked_by is None and job.attempts == 0
        assert run_one(repo, lambda job, final: None, "other") is not None  # at once: no lease to sit out
        finish.set()
        eventually(lambda: not worker._running[0].is_alive(), timeout=5)
        [job] = repo.listed()
        assert job.state == DONE and job.attempts == 1  # the first worker's late finish changed nothing
    finally:
        finish.set()
        repo.close()
        repo.db.dispose()


def test_jobs_that_finish_within_the_grace_are_not_handed_back(clean_db):
    repo = SqlJobRepository(Database(clean_db))
    started, finish = threading.Event(), threading.Event()

    def short(job, final):
        started.set()
        finish.wait(10)

    repo.enqueue(key="test:short", route="test:short", payload={}, at=utcnow())
    worker = Worker(repo, short, "busy", threads=1).start()
    try:
        assert started.wait(5)
        threading.Timer(0.1, finish.set).start()
        assert worker.stop(timeout=5) == []
        [job] = repo.listed()
        assert job.state == DONE
    finally:
        finish.set()
        repo.close()
        repo.db.dispose()
