"""core.findings.delivery with in-memory fakes of its ports: which view is due, post or edit,
and the claim/posted/shown bookkeeping through races, failures and a crash between claim
and post. The same rules against the database and the fake Slack: tests/handlers/
test_triage*.py, tests/store/test_findings_store.py."""

from datetime import timedelta

import pytest

from core.clock import ManualClock
from core.response.suggest import suggestions
from core.findings.delivery import CLAIM_STALE, FindingDelivery
from core.findings.ports import DigestView, FindingView, IndicatorMatch
from core.messages import PostedMessage
from tests.support.delivery import (T0, ChatDown, MemoryFindings, RecordingTriageSender, open_incident,
                                    stored_digest, stored_finding)


@pytest.fixture
def clock():
    return ManualClock(T0)


@pytest.fixture
def store():
    return MemoryFindings(incidents=[open_incident(1), open_incident(2), open_incident(3, phase="closed")])


def delivery(store, clock, sender=None, holder="this", top=10):
    return FindingDelivery(store, store, store, clock, sender or RecordingTriageSender(), digest_top=top,
                           holder=holder)


def test_a_new_finding_is_posted_once_with_everything_to_render(store, clock):
    finding = store.put(stored_finding(1))
    deliver = delivery(store, clock)
    deliver.finding_changed(finding)
    assert deliver.sender.run() == 1
    [view] = deliver.sender.posts
    assert isinstance(view, FindingView) and view.finding == finding
    assert (view.channel, view.thread_ts, view.message) == ("CTRIAGE", None, None)
    assert view.declare and view.triage and view.contain == ()
    assert [i.id for i in view.link_to] == [2, 1]  # open incidents, newest first
    shown = store.get(1)
    assert (shown.slack_channel, shown.slack_ts, shown.slack_revision) == ("CTRIAGE", "1.000001", 1)
    deliver.finding_changed(shown)  # nothing new to show: nothing sent
    deliver.sender.run()
    assert len(deliver.sender.posts) == 1 and deliver.sender.updates == []


def test_an_updated_finding_edits_its_message_in_place(store, clock):
    store.put(stored_finding(1, slack_channel="CTRIAGE", slack_ts="1.000001", revision=1, slack_revision=1))
    changed = store.change(store.get(1), count=7)
    deliver = delivery(store, clock)
    deliver.finding_changed(changed)
    deliver.sender.run()
    assert deliver.sender.posts == []
    [view] = deliver.sender.updates
    assert view.message == PostedMessage("CTRIAGE", "1.000001") and view.finding.count == 7
    assert store.get(1).slack_revision == 2


def test_changes_queued_before_the_turn_go_out_once_as_the_latest(store, clock):
    deliver = delivery(store, clock)
    deliver.finding_changed(store.put(stored_finding(1)))
    for count in (2, 3, 4):
        deliver.finding_changed(store.change(store.get(1), count=count))
    assert deliver.sender.run() == 1
    [view] = deliver.sender.posts
    assert view.finding.count == 4 and store.get(1).slack_revision == view.revision == 4


def test_a_thread_reply_is_posted_in_its_digest_thread(store, clock):
    deliver = delivery(store, clock)
    deliver.finding_changed(store.put(stored_finding(1, thread_ts="9.000001")))
    deliver.sender.run()
    assert deliver.sender.posts[0].thread_ts == "9.000001"


def test_a_linked_finding_offers_containment_and_a_dismissed_one_nothing(store, clock):
    deliver = delivery(store, clock)
    linked = store.put(stored_finding(1, incident_id=2))
    dismissed = store.put(stored_finding(2, status="dismissed"))
    for finding in (linked, dismissed):
        deliver.finding_changed(finding)
    deliver.sender.run()
    by_pk = {v.finding.pk: v for v in deliver.sender.posts}
    assert not by_pk[1].declare and by_pk[1].link_to == () and by_pk[1].triage
    assert by_pk[1].contain == tuple(suggestions(linked.indicators, linked.resources)) != ()
    assert (by_pk[2].declare, by_pk[2].link_to, by_pk[2].contain, by_pk[2].triage) == (False, (), (), False)


def test_a_finding_shown_nowhere_is_never_sent(store, clock):
    deliver = delivery(store, clock)
    deliver.finding_changed(store.put(stored_finding(1, channel=None)))  # digested or suppressed
    assert deliver.sender.queued == {}
    store.put(stored_finding(2))
    store.findings.pop(2)  # gone before its turn
    deliver.finding_changed(stored_finding(2))
    deliver.sender.run()
    assert deliver.sender.posts == []


def test_a_digest_is_posted_with_its_counts_and_top_then_edited_as_it_grows(store, clock):
    store.put(stored_digest(1, size=3))
    for pk, severity, score in ((1, "low", 20.0), (2, "high", 80.0), (3, "medium", 50.0)):
        store.put(stored_finding(pk, channel=None, digest_id=1, severity=severity, severity_score=score))
    deliver = delivery(store, clock, top=2)
    deliver.digest_changed(store.digest(1))
    deliver.sender.run()
    [view] = deliver.sender.posts
    assert isinstance(view, DigestView) and view.channel == "CTRIAGE" and view.message is None
    assert [f.pk for f in view.top] == [2, 3] and view.more == 1
    assert view.counts == {"low": 1, "high": 1, "medium": 1}
    assert store.digest(1).slack_ts == "1.000001"
    store.put(stored_finding(4, channel=None, digest_id=1, severity="critical", severity_score=95.0))
    deliver.digest_changed(store.change(store.digest(1), size=4))
    deliver.sender.run()
    [edit] = deliver.sender.updates
    assert edit.message == PostedMessage("CTRIAGE", "1.000001") and [f.pk for f in edit.top] == [4, 2]
    assert edit.more == 2 and store.digest(1).slack_revision == 2 and len(deliver.sender.posts) == 1


def test_an_empty_digest_is_not_shown(store, clock):
    deliver = delivery(store, clock)
    deliver.digest_changed(store.put(stored_digest(1, size=0)))
    deliver.sender.run()
    assert deliver.sender.posts == []


def test_a_failed_post_gives_the_claim_back_and_the_next_turn_posts(store, clock):
    deliver = delivery(store, clock)
    deliver.sender.fail_posts = 1
    deliver.finding_changed(store.put(stored_finding(1)))
    deliver.sender.run()
    assert len(deliver.sender.failures) == 1
    assert store.get(1).slack_ts is None and store.claims() == []  # free to post again
    deliver.finding_changed(store.get(1))  # the sender's retry
    deliver.sender.run()
    assert len(deliver.sender.posts) == 1 and store.get(1).slack_ts == "1.000001"


def test_two_processes_post_one_finding_once_and_the_later_change_is_an_edit(store, clock):
    """Replica B's turn comes while A holds the claim: B waits, then finds A's message."""
    b = delivery(store, clock, holder="b")
    finding = store.put(stored_finding(1))
    claim = store.claim("finding", 1, "a", clock.now())  # A is posting right now
    b.finding_changed(finding)
    b.sender.run()
    assert b.sender.deferred and b.sender.posts == []
    store.posted("finding", 1, claim, "CTRIAGE", "1.000001", 1)  # A's post went through
    b.finding_changed(store.change(store.get(1), status="snoozed"))
    b.sender.run()
    assert b.sender.posts == [] and b.sender.updates[0].message == PostedMessage("CTRIAGE", "1.000001")


def test_a_crash_between_claim_and_post_is_recovered_after_the_claim_goes_stale(store, clock):
    store.put(stored_finding(1))
    store.put(stored_digest(1, size=2))
    for pk in (2, 3):
        store.put(stored_finding(pk, channel=None, digest_id=1))
    store.claim("finding", 1, "dead", clock.now())  # the process died before chat.postMessage
    store.claim("digest", 1, "dead", clock.now())

    clock.advance(seconds=30)  # a restart soon after: the claim could still be a live poster's
    early = delivery(store, clock)
    assert early.recover() == 2
    early.sender.run()
    assert early.sender.posts == [] and len(early.sender.deferred) == 2
    assert len(store.claims()) == 2

    clock.advance(seconds=CLAIM_STALE.total_seconds())  # the next restart: nobody can hold it this long
    later = delivery(store, clock)
    assert later.recover() == 2
    later.sender.run()
    assert sorted(type(v).__name__ for v in later.sender.posts) == ["DigestView", "FindingView"]
    assert store.claims() == [] and store.unshown() == ([], [])
    assert later.recover() == 0  # shown: nothing queued twice


def test_recover_keeps_a_fresh_claim_and_queues_what_was_never_sent(store, clock):
    store.put(stored_finding(1))
    store.put(stored_finding(2, slack_channel="CTRIAGE", slack_ts="1.000009", revision=3, slack_revision=2))
    fresh = store.claim("finding", 1, "alive", clock.now() - CLAIM_STALE + timedelta(seconds=1))
    deliver = delivery(store, clock)
    assert deliver.recover() == 2
    assert store.get(1).slack_ts == fresh
    deliver.sender.run()
    assert [v.finding.pk for v in deliver.sender.updates] == [2] and deliver.sender.posts == []


def test_an_indicator_match_is_posted_in_the_incidents_channel_without_bookkeeping(store, clock):
    deliver = delivery(store, clock)
    match = IndicatorMatch(incident_id=1, channel="CINC1", finding_id="f-9", finding_title="new",
                           linked_finding_id="f-1", shared=[("ip", "198.51.100.7")])
    deliver.indicator_seen(match)
    deliver.indicator_seen(IndicatorMatch(2, None, "f-9", "new", "f-2", []))  # nowhere to say it
    deliver.sender.run()
    assert deliver.sender.posts == [match] and store.claims() == []
