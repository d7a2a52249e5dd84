"""The ack's enqueue on SQLite: concurrent enqueues share a transaction, yet each is
committed before its caller returns, each gets its own answer, and one that fails does
not take the others down with it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.jobs import utcnow
from store.db import Database
from store.group_commit import GroupCommit, Pending
from store.jobs import SqlJobRepository
from tests.support.slack import eventually


@pytest.fixture
def sqlite_db(clean_db, is_postgres):
    if is_postgres:
        pytest.skip("group commit is SQLite's (PostgreSQL commits each enqueue on its own connection)")
    db = Database(clean_db)
    yield db
    db.dispose()


def test_concurrent_enqueues_are_all_committed_once_and_each_learns_whether_it_was_new(sqlite_db):
    repo = SqlJobRepository(sqlite_db)
    keys = [f"test:{n % 40}" for n in range(120)]  # every key three times, as Slack's retries would

    with ThreadPoolExecutor(max_workers=8) as pool:
        added = list(pool.map(lambda key: (key, repo.enqueue(key=key, route="r", payload={"k": key},
                                                             at=utcnow())), keys))

    new = [key for key, was_new in added if was_new]
    assert sorted(new) == sorted(set(keys))  # exactly one caller per key was told "new"
    other = Database(sqlite_db.url)  # another connection sees every one committed
    try:
        assert sorted(job.key for job in SqlJobRepository(other).listed(limit=100)) == sorted(set(keys))
    finally:
        other.dispose()


def test_a_failing_enqueue_fails_alone_while_the_rest_of_its_batch_commits(sqlite_db):
    release = threading.Event()
    batches: list[int] = []

    def run_batch(batch: list[Pending]) -> None:
        batches.append(len(batch))
        if len(batches) == 1:
            release.wait(5)  # hold the first batch so that the others queue up behind it
        sqlite_db._commit_batch(batch)

    group = GroupCommit(run_batch)
    repo = SqlJobRepository(sqlite_db)
    good = repo._enqueue_sql
    bad = good.replace("INSERT INTO jobs", "INSERT INTO no_such_table")
    params = lambda key: (key, "r", '{"k": 1}', "queued", 0, "2026-01-01 00:00:00.000000",  # noqa: E731
                          "2026-01-01 00:00:00.000000", None)  # no MAC: no key

    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(group.submit, good, params("test:first"))
        eventually(lambda: batches, interval=0.001)
        later = [pool.submit(group.submit, bad if n == 2 else good, params(f"test:{n}")) for n in range(5)]
        eventually(lambda: len(group._waiting) == 5, interval=0.001)
        release.set()
        assert first.result(5) is not None
        outcomes = []
        for n, future in enumerate(later):
            try:
                outcomes.append(future.result(5) is not None)
            except Exception as exc:  # noqa: BLE001
                outcomes.append(type(exc).__name__)

    assert batches[:2] == [1, 5]  # the five waiting ones went as one batch
    assert outcomes == [True, True, "OperationalError", True, True]
    keys = sorted(job.key for job in repo.listed())
    assert keys == ["test:0", "test:1", "test:3", "test:4", "test:first"]
