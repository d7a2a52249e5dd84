"""Reporting periods (`stats --period`, `report`, `/incident report`): quarters, months and
from/to dates as UTC windows; bad input is a UsageError that says what to write instead."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.errors import UsageError
from core.scheduling.period import last_complete_month, parse_period


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_a_quarter_a_month_and_dates_become_half_open_utc_windows():
    q4 = parse_period("2026-Q4")
    assert (q4.label, q4.start, q4.end) == ("2026-Q4", utc(2026, 10, 1), utc(2027, 1, 1))
    assert parse_period("2026q1").label == "2026-Q1"
    nov = parse_period("2026-11")
    assert (nov.start, nov.end, nov.days) == (utc(2026, 11, 1), utc(2026, 12, 1), 30)
    dates = parse_period(None, first="2026-11-03", last="2026-11-09")
    assert (dates.start, dates.end, dates.days) == (utc(2026, 11, 3), utc(2026, 11, 10), 7)
    assert [m for m, _, _ in q4.months()] == ["2026-10", "2026-11", "2026-12"]


def test_the_previous_period_is_of_the_same_kind():
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026-01").previous().label == "2025-12"
    before = parse_period(None, first="2026-11-03", last="2026-11-09").previous()
    assert (before.start, before.end) == (utc(2026, 10, 27), utc(2026, 11, 3))
    assert last_complete_month(utc(2026, 1, 1, 8)).label == "2025-12"


@pytest.mark.parametrize("text, first, last, says", [
    ("2026-13", None, None, "“2026-13” is not a period: give a quarter like 2026-Q4 or a month like 2026-11"),
    ("2026-Q5", None, None, "is not a period"),
    ("last quarter", None, None, "is not a period"),
    ("", None, None, "Which period?"),
    (None, "2026-11-01", None, "--from and --to go together"),
    (None, "2026-11-31", "2026-12-01", "--from “2026-11-31” is not a date"),
    (None, "2026-12-01", "2026-11-01", "--to 2026-11-01 is before --from 2026-12-01"),
    ("2026-Q4", "2026-11-01", "2026-11-30", "not both"),
])
def test_bad_periods_say_what_to_write(text, first, last, says):
    with pytest.raises(UsageError) as caught:
        parse_period(text, first=first, last=last)
    assert says in caught.value.message
