"""Nothing Slack has not shown is lost when a process dies: findings stored while no worker
could post, and one a worker claimed and died before posting, are each posted exactly once
by the next process (core/findings/delivery.py's recover, on the real database and the fake
Slack; the unit tests are tests/core/findings/test_delivery.py)."""

from datetime import timedelta

import pytest

from composition import build_services, local_workspace
from core.findings.delivery import CLAIM_STALE
from core.nulls import NoNotifier
from core.findings.pipeline import ingest
from store.findings.repository import SqlFindingRepository
from tests.support.findings import finding, tuned
from tests.support.slack import all_text

pytestmark = pytest.mark.slow


def test_what_a_dead_worker_left_unshown_is_posted_once_by_the_next_process(settings):
    configured = tuned(settings, after=2)
    offline = build_services(configured, notifier=NoNotifier())  # stores and routes, cannot post
    try:
        ingest(offline, [finding(id="claimed", title="claimed then died"), finding(id="waiting", title="never sent")]
               + [finding(id=f"storm-{n}", title=f"storm {n}") for n in range(3)])
        claimed = SqlFindingRepository(offline.db).by_finding_id("claimed")
        died_at = offline.clock.now() - CLAIM_STALE - timedelta(seconds=1)
        assert offline.repos.finding_state.claim("finding", claimed.pk, "dead-worker", died_at)
    finally:
        offline.drain()

    ws = local_workspace(configured, threads=2)  # the next process: recovers at start
    try:
        assert ws.services.notifier.drain(15)
        shown = ws.fake.messages("security-triage")
        texts = [all_text(m) for m in shown]
        assert len(shown) == 3, texts
        assert sum("claimed then died" in t for t in texts) == 1 and sum("never sent" in t for t in texts) == 1
        assert sum("3 more findings" in t for t in texts) == 1
        store = SqlFindingRepository(ws.services.db)
        for finding_id in ("claimed", "waiting"):
            stored = store.by_finding_id(finding_id)
            assert stored.slack_ts in {m["ts"] for m in shown} and stored.slack_revision == stored.revision
        assert ws.services.repos.finding_state.claims() == []
        assert ws.services.notifier.recover() == 0  # everything is shown: nothing queued again
    finally:
        ws.stop()
