"""One Slack budget for every process (PostgreSQL): each "worker" here is a budget and a Web
API client over a database engine of its own, as separate processes would have, against one
fake Slack. Time is injected: a 429's five seconds pass without being slept."""

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from core.chat_budget import Claim
from handlers.slack_budget import BudgetedClient, NotYet, channel_lane
from local.fake_slack import FakeSlack
from store.chat_budget import SqlChatBudget
from store.db import Database

pytestmark = pytest.mark.postgres


class Time:
    """The workers' shared wall clock, moved by the test (or by an urgent client's sleep)."""

    def __init__(self):
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def workers(clean_db, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL-only: run with DATABASE_URL (SQLite deployments are one process)")
    t = Time()
    dbs = [Database(clean_db) for _ in range(3)]
    yield t, [SqlChatBudget(db, now=t) for db in dbs]
    for db in dbs:
        db.dispose()


@pytest.fixture
def fake():
    slack = FakeSlack(token="xoxb-t").serve()
    slack.add_channel("triage")
    yield slack
    slack.stop()


def _client(fake, budget, t, *, urgent: bool) -> BudgetedClient:
    return BudgetedClient(fake.token, fake.api_url, budget, pace=1.0, urgent=urgent, channels=urgent, sleep=t.sleep)


def test_a_429_seen_by_one_worker_stops_every_workers_calls_to_that_method_for_its_retry_after(workers, fake):
    t, (first, second, third) = workers
    reply = _client(fake, second, t, urgent=True).chat_postMessage(channel="triage", text="summary")
    fake.rate_limit("chat.update", retry_after=5)
    with pytest.raises(SlackApiError):  # the outbox's client leaves the wait to its outbox
        _client(fake, first, t, urgent=False).chat_update(channel="triage", ts=reply["ts"], text="digest")
    t.now += 1.0
    with pytest.raises(NotYet) as refused:  # another worker's outbox: no call to Slack, its turn in 4 s
        _client(fake, third, t, urgent=False).chat_update(channel="triage", ts=reply["ts"], text="digest")
    assert refused.value.after == pytest.approx(4.0)
    calls_while_paused = []
    urgent = _client(fake, second, t, urgent=True)
    urgent._sleep = lambda s: (calls_while_paused.append(len(fake.calls_to("chat.update"))), t.sleep(s))
    urgent.chat_update(channel="triage", ts=reply["ts"], text="summary, edited")
    assert sum(t.slept) == pytest.approx(4.0, abs=0.05)  # 5 s after the 429, and not before
    assert calls_while_paused and set(calls_while_paused) == {1}  # only the 429 reached Slack meanwhile
    assert [c.body.get("text") for c in fake.calls_to("chat.update")] == ["digest", "summary, edited"]
    assert fake.messages("triage")[0]["text"] == "summary, edited"


def test_the_429_pauses_that_method_only(workers, fake):
    t, (first, second, _) = workers
    fake.rate_limit("chat.update", retry_after=5)
    client = _client(fake, first, t, urgent=False)
    posted = client.chat_postMessage(channel="triage", text="a finding")
    with pytest.raises(SlackApiError):
        client.chat_update(channel="triage", ts=posted["ts"], text="edited")
    _client(fake, second, t, urgent=False).chat_postMessage(channel="triage", text="another finding")
    assert len(fake.messages("triage")) == 2


def test_a_channel_held_by_one_worker_is_skipped_by_another_and_spaced_after_the_send(workers):
    t, (first, second, _) = workers
    lane = channel_lane("C1", 1.0)
    held = first.claim([lane])
    assert isinstance(held, Claim)
    assert second.claim([lane]) > 0
    t.now += 0.5
    first.release(held, sent=True)
    t.now += 0.9
    assert second.claim([lane]) == pytest.approx(0.1)
    t.now += 0.1
    assert isinstance(second.claim([lane]), Claim)


def test_an_urgent_send_waiting_in_one_worker_goes_before_another_workers_digests(workers):
    t, (digests, replies, other_digests) = workers
    lane = channel_lane("C1", 1.0)
    sending = digests.claim([lane])
    assert replies.claim([lane], urgent=True) > 0  # an approval card waits for the digest in flight
    digests.release(sending, sent=True)
    t.now += 1.0
    assert other_digests.claim([lane]) > 0  # the channel is free, but the card is waiting
    assert isinstance(replies.claim([lane], urgent=True), Claim)


def test_a_channel_row_locked_by_a_claim_in_progress_is_not_waited_for(workers, clean_db):
    t, (first, _, _) = workers
    lane = channel_lane("C1", 1.0)
    first.release(first.claim([lane]), sent=False)  # the row exists
    db = Database(clean_db)
    try:
        with db.session() as session:  # another process in the middle of its claim
            session.execute(text("SELECT * FROM chat_budget WHERE lane = 'channel:C1' FOR UPDATE"))
            assert first.claim([lane]) == pytest.approx(0.02)  # busy: ask again, or send elsewhere
    finally:
        db.dispose()
    assert isinstance(first.claim([lane]), Claim)
