"""The start-up retry policy (core.startup) with an injected sleeper: the backoff schedule,
transient failures retried and logged once per attempt, a definitive one stopping at once."""

import logging
from itertools import islice

import pytest

from core.startup import Backoff, Failure, StartupRefused, until_ready


class Platform:
    """Fails with each exception of `failures` in turn, then answers."""

    def __init__(self, *failures: Exception, answer="answer"):
        self.failures, self.answer, self.calls = list(failures), answer, 0

    def __call__(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.answer


class Down(Exception):
    def __init__(self, reason, definitive=False, retry_after=None):
        super().__init__(reason)
        self.failure = Failure(reason, definitive, retry_after)


def classify(exc):
    return exc.failure if isinstance(exc, Down) else None


class Sleeper:
    def __init__(self, stop_after: int | None = None):
        self.waits, self.stop_after = [], stop_after

    def __call__(self, seconds):
        self.waits.append(seconds)
        return self.stop_after is not None and len(self.waits) >= self.stop_after


def _until_ready(attempt, sleep, **options):
    return until_ready(attempt, classify, what="Slack (auth.test)", sleep=sleep,
                       refused=lambda f: f"Slack refused: {f.reason}", **options)


def test_the_backoff_doubles_from_one_second_up_to_a_30_second_cap():
    assert list(islice(Backoff().delays(), 8)) == [1, 2, 4, 8, 16, 30, 30, 30]
    assert list(islice(Backoff(first_seconds=0.5, factor=3, cap_seconds=5).delays(), 4)) == [0.5, 1.5, 4.5, 5]


def test_transient_failures_are_retried_on_the_schedule_and_logged_once_per_attempt(caplog):
    platform = Platform(*[Down("HTTP 500") for _ in range(6)], Down("timed out"))
    sleep = Sleeper()
    with caplog.at_level(logging.INFO, logger="firebreak.startup"):
        assert _until_ready(platform, sleep, waiting="jobs wait") == "answer"
    assert sleep.waits == [1, 2, 4, 8, 16, 30, 30]  # no real time passed
    assert platform.calls == 8
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 7  # once per failed attempt, with its reason and what goes on meanwhile
    assert warnings[0] == "Slack (auth.test): attempt 1 failed (HTTP 500); trying again in 1 s; meanwhile jobs wait"
    assert "attempt 7 failed (timed out)" in warnings[6]
    assert "answered at attempt 8" in caplog.records[-1].getMessage()


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "account_inactive", "token_revoked"])
def test_a_definitive_failure_stops_at_once_naming_the_error(error):
    platform, sleep = Platform(Down("HTTP 500"), Down(error, definitive=True)), Sleeper()
    with pytest.raises(StartupRefused) as refused:
        _until_ready(platform, sleep)
    assert refused.value.message == f"Slack refused: {error}" and refused.value.failure.reason == error
    assert platform.calls == 2 and sleep.waits == [1]  # one transient wait, none after the refusal


def test_a_longer_retry_after_wins_over_the_backoff():
    sleep = Sleeper()
    assert _until_ready(Platform(Down("HTTP 429", retry_after=7), Down("HTTP 429", retry_after=0.5)), sleep) == "answer"
    assert sleep.waits == [7, 2]


def test_a_stop_while_waiting_returns_none_without_another_attempt():
    platform = Platform(*[Down("HTTP 503") for _ in range(10)])
    assert _until_ready(platform, Sleeper(stop_after=3)) is None
    assert platform.calls == 3


def test_an_error_no_adapter_recognises_is_a_bug_and_propagates():
    with pytest.raises(KeyError):
        _until_ready(Platform(KeyError("typo")), Sleeper())
