"""A storm of findings through the whole pipeline while the fake Slack answers 429:
a handful of messages, every finding stored and reachable from its digest, none posted twice."""

import threading

import pytest

from core.findings.pipeline import ingest
from core.findings.delivery import FindingDelivery
from handlers.outbox import Outbox, outbox_client
from handlers.findings.notifier import SlackTriageSender
from composition import local_workspace
from store.findings.repository import SqlFindingRepository
from tests.support.findings import finding, tuned
from tests.support.slack import all_text


@pytest.mark.slow
def test_storm_under_429_is_grouped_paced_and_loses_nothing(settings):
    ws = local_workspace(tuned(settings, after=5, pace=0.05), threads=4)
    try:
        ws.fake.rate_limit("chat.postMessage", retry_after=1, times=2)
        for batch in range(20):  # like 20 SQS batches arriving while Slack messages go out
            ingest(ws.services, [finding(id=f"storm-{batch}-{n}", title=f"probe {batch}/{n}") for n in range(100)])
        assert ws.services.notifier.drain(30)
        store = SqlFindingRepository(ws.services.db)
        assert store.count() == 2000
        shown = ws.fake.messages("security-triage")
        assert len(shown) == 6  # 5 findings on their own + 1 digest
        digest = next(m for m in shown if "more findings" in all_text(m))
        assert "1995 more findings" in all_text(digest)
        digest_ids = {store.by_finding_id(f"storm-{b}-{n}").digest_id for b in range(20) for n in range(100)}
        assert len(digest_ids - {None}) == 1
        assert len(store.digest_items(max(digest_ids - {None}), limit=5000)) == 1995
        stats = ws.services.notifier.sender.outbox.stats
        assert stats["ratelimited"] == 2 and stats["dropped"] == 0
        accepted = [c for c in ws.fake.calls if c.method in ("chat.postMessage", "chat.update")]
        gaps = [b.at - a.at for a, b in zip(accepted, accepted[1:])]
        assert min(gaps) >= 0.04  # never faster than the pace, 429s included
    finally:
        ws.stop()


@pytest.mark.slow
def test_two_workers_never_post_one_finding_twice(settings):
    ws = local_workspace(tuned(settings), threads=2)
    try:
        ingest(ws.services, [finding()])
        stored = SqlFindingRepository(ws.services.db).by_finding_id("f-1")
        repos = ws.services.repos
        other = FindingDelivery(repos.findings, repos.finding_state, repos.incidents, ws.services.clock,
                                SlackTriageSender(outbox_client(ws.fake.token, ws.fake.api_url), Outbox(0.0)),
                                digest_top=ws.services.config.findings.digest.top)
        barrier = threading.Barrier(2)
        for notifier in (ws.services.notifier, other):
            threading.Thread(target=lambda n=notifier: (barrier.wait(), n.finding_changed(stored))).start()
        assert other.drain(10) and ws.services.notifier.drain(10)
        assert len(ws.fake.calls_to("chat.postMessage")) == 1
        other.close()
    finally:
        ws.stop()


@pytest.mark.slow
def test_the_shipped_configuration_sends_a_channel_one_finding_message_a_second(clean_db):
    """The suite's `settings` are unpaced (tests/conftest.py); this is the shipped pace."""
    from core.settings import load_settings

    shipped = load_settings(environ={"DATABASE_URL": clean_db})
    assert shipped.config.findings.digest.pace_seconds == 1.0
    ws = local_workspace(shipped, threads=2)
    try:
        ingest(ws.services, [finding(id=f"paced-{n}", title=f"probe {n}", severity="high") for n in range(3)])
        assert ws.services.notifier.drain(15)
        posted = ws.fake.calls_to("chat.postMessage")
        assert len(posted) == 3
        gaps = [b.at - a.at for a, b in zip(posted, posted[1:])]
        assert min(gaps) >= 0.95, gaps
    finally:
        ws.stop()
