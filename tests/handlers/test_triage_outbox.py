"""The paced outbox against the fake Slack: one message per interval per channel, channels
independent, coalescing of queued edits, Retry-After honoured without losing anything."""

import threading
import time

import pytest

from handlers.outbox import Deferred, Outbox, outbox_client
from local.fake_slack import FakeSlack


@pytest.fixture
def fake():
    slack = FakeSlack(token="xoxb-t").serve()
    slack.add_channel("a")
    slack.add_channel("b")
    yield slack
    slack.stop()


def _post(client, channel, text):
    return lambda: client.chat_postMessage(channel=channel, text=text)


def _times(fake, channel):
    cid = fake.channel_id(channel)
    return [c.at for c in fake.calls_to("chat.postMessage") if fake.channel_id(c.body["channel"]) == cid]


def test_each_channel_is_paced_and_channels_do_not_wait_for_each_other(fake):
    client, outbox = outbox_client(fake.token, fake.api_url), Outbox(0.2)
    for n in range(4):
        outbox.submit("a", n, _post(client, "a", f"a{n}"))
        outbox.submit("b", n, _post(client, "b", f"b{n}"))
    assert outbox.drain(10)
    for channel in "ab":
        times = _times(fake, channel)
        assert len(times) == 4
        assert min(later - earlier for earlier, later in zip(times, times[1:])) >= 0.18
    assert abs(_times(fake, "a")[0] - _times(fake, "b")[0]) < 0.15  # b did not queue behind a
    outbox.close()


def test_a_queued_job_with_the_same_key_is_replaced_in_place(fake):
    client, outbox = outbox_client(fake.token, fake.api_url), Outbox(0.3)
    outbox.submit("a", "first", _post(client, "a", "first"))
    for n in range(5):
        outbox.submit("a", "edit", _post(client, "a", f"version {n}"))
    assert outbox.drain(10)
    assert [m["text"] for m in fake.messages("a")] == ["first", "version 4"]
    outbox.close()


@pytest.mark.slow
def test_retry_after_is_honoured_and_nothing_is_lost(fake):
    fake.rate_limit("chat.postMessage", retry_after=1, times=2)
    client, outbox = outbox_client(fake.token, fake.api_url), Outbox(0.0)
    started = time.monotonic()
    for n in range(3):
        outbox.submit("a", n, _post(client, "a", f"m{n}"))
    assert outbox.drain(10)
    assert time.monotonic() - started >= 1.9  # two 429s, each said "wait 1 s"
    assert [m["text"] for m in fake.messages("a")] == ["m0", "m1", "m2"]
    assert outbox.stats["ratelimited"] == 2 and outbox.stats["sent"] == 3
    assert len(fake.calls_to("chat.postMessage")) == 5  # 2 refused + 3 accepted: the client did not retry itself
    outbox.close()


def test_a_failing_job_is_retried_then_given_up_without_stopping_others(fake):
    client, outbox = outbox_client(fake.token, fake.api_url), Outbox(0.0)
    outbox.submit("a", "bad", _post(client, "no-such-channel", "x"))
    outbox.submit("b", "good", _post(client, "b", "fine"))
    assert outbox.drain(10)
    assert outbox.stats["dropped"] == 1 and [m["text"] for m in fake.messages("b")] == ["fine"]
    outbox.close()


def test_deferred_job_runs_again_later():
    outbox, runs, done = Outbox(0.0), [], threading.Event()

    def job():
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise Deferred(0.2)
        done.set()

    outbox.submit("a", "k", job)
    assert done.wait(5) and runs[1] - runs[0] >= 0.19
    outbox.close()


def test_a_paused_outbox_keeps_its_jobs_until_resumed(fake):
    """Built before Slack confirmed the token: nothing is sent (no attempt spent on a Slack
    that is down), edits coalesce, drain answers at once, and resume sends the latest."""
    client, outbox = outbox_client(fake.token, fake.api_url), Outbox(0.0, paused=True)
    for n in range(3):
        outbox.submit("a", "edit", _post(client, "a", f"version {n}"))
    outbox.submit("b", "other", _post(client, "b", "other"))
    started = time.monotonic()
    assert not outbox.drain(5) and time.monotonic() - started < 1
    time.sleep(0.2)
    assert fake.calls_to("chat.postMessage") == [] and outbox.pending() == 2
    outbox.resume()
    assert outbox.drain(10)
    assert [m["text"] for m in fake.messages("a")] == ["version 2"] and len(fake.messages("b")) == 1
    outbox.close()
