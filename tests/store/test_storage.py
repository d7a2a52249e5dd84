"""Storage: migrations and the natural-key guarantees later features rely on."""

import threading

import pytest
from sqlalchemy import inspect

from core.clock import ManualClock
from store import migrate
from store.db import Database, normalize_url
from store.incidents.repository import SqlIncidentRepository
from tests.support.slack import eventually


def test_fresh_sqlite_database_is_migrated_to_current(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert not migrate.is_current(db)
    migrate.upgrade(db)
    assert migrate.is_current(db)
    tables = set(inspect(db.engine).get_table_names())
    assert {"incidents", "timeline_entries", "jobs"} <= tables and "slack_requests" not in tables
    migrate.upgrade(db)  # a second run is a no-op, not an error
    db.dispose()


def test_the_test_database_is_current(clean_db):
    db = Database(clean_db)
    assert migrate.is_current(db)
    db.dispose()


def test_postgres_urls_use_psycopg3():
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def _create(store, key, title="Same cause"):
    return store.create(title=title, severity="sev2", category="other", declared_by="U1",
                        at=ManualClock().now(), origin_channel="C1", dedup_key=key, timeline_text="declared")


def test_same_dedup_key_from_racing_threads_makes_one_incident(clean_db):
    db = Database(clean_db)
    store = SqlIncidentRepository(db)
    results, barrier = [], threading.Barrier(8)

    def declare():
        barrier.wait()
        results.append(_create(store, "finding:abc"))

    threads = [threading.Thread(target=declare) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 1
    assert sum(created for _, created in results) == 1
    assert len({incident.id for incident, _ in results}) == 1
    assert len(store.timeline(results[0][0].id)) == 1
    db.dispose()


@pytest.mark.postgres
def test_closing_the_job_queue_stops_its_notification_listener_at_once(clean_db, is_postgres):
    """A stopping worker (SIGTERM, or a test's teardown) does not sit out the listener's
    one-second wait for notifications: close() notifies the listener's own channel."""
    if not is_postgres:
        pytest.skip("PostgreSQL-only: run with DATABASE_URL")
    import time

    from sqlalchemy import text

    from store.jobs import SqlJobRepository

    db = Database(clean_db)
    jobs = SqlJobRepository(db)
    try:
        threading.Thread(target=jobs.wait, args=(30,), daemon=True).start()
        def listening():  # the listener's connection has run its last LISTEN and waits
            with db.engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle' "
                                         "AND query = :q"), {"q": f"LISTEN {jobs._stop_channel}"}).scalar()
        eventually(listening)
        started = time.monotonic()
        jobs.close()
        assert not jobs._listener.is_alive()
        assert time.monotonic() - started < 0.5  # not the end of a one-second wait
    finally:
        db.dispose()
