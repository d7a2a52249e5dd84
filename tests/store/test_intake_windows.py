"""Two workers storing batches that reach the same digest windows in opposite orders
(PostgreSQL): the windows are locked in one order, so neither batch fails on a deadlock
(PostgreSQL broke such ties after a second by failing one; SQS redelivered it much later)."""

import threading

import pytest

from composition import build_services
from core.findings.pipeline import ingest
from tests.support.findings import finding, tuned

pytestmark = pytest.mark.postgres
OTHER = "222233334444"


def test_batches_reaching_the_same_windows_in_opposite_orders_do_not_deadlock(settings, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL-only: run with DATABASE_URL (SQLite serialises writers)")
    routed = tuned(settings, after=0, routes=[
        {"name": "other", "match": {"account": [OTHER]}, "action": "post", "channel": "ops-findings"}])
    workers = [build_services(routed) for _ in range(2)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def storm(services, k):
        accounts = ("123456789012", OTHER) if k == 0 else (OTHER, "123456789012")
        try:
            for n in range(30):
                barrier.wait(10)
                ingest(services, [finding(id=f"w{k}-{n}-{a}", account=a) for a in accounts])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=storm, args=(services, k)) for k, services in enumerate(workers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors[:1]
        assert workers[0].repos.findings.count() == 120
    finally:
        for services in workers:
            services.drain()
