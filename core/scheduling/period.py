"""A reporting period: a quarter (2026-Q4), a month (2026-11) or from/to dates, as a
half-open UTC window [start, end). `bot.py stats --period`, `bot.py report` and
`/incident report` all read periods here, so a report and `stats` always mean the same days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from core.errors import UsageError

USAGE = "a quarter (2026-Q4), a month (2026-11), or --from YYYY-MM-DD --to YYYY-MM-DD"
FORMS = "a quarter like 2026-Q4 or a month like 2026-11"
QUARTER = re.compile(r"(\d{4})-?q([1-4])")
MONTH = re.compile(r"(\d{4})-(\d{1,2})")


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 86400))

    def previous(self) -> Period:
        """The period of the same kind just before (the quarter, the month, or as many days)."""
        kind = _kind(self.label)
        if kind == "quarter":
            year, quarter = self.start.year, (self.start.month - 1) // 3 + 1
            return quarter_period(year - 1, 4) if quarter == 1 else quarter_period(year, quarter - 1)
        if kind == "month":
            year, month = self.start.year, self.start.month
            return month_period(year - 1, 12) if month == 1 else month_period(year, month - 1)
        length = self.end - self.start
        first, last = (self.start - length).date(), (self.start - timedelta(days=1)).date()
        return dates_period(first, last)

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """(YYYY-MM, start, end) of each calendar month the period touches, clipped to it."""
        found, cursor = [], self.start
        while cursor < self.end:
            following = _first_of_next_month(cursor)
            found.append((f"{cursor:%Y-%m}", cursor, min(following, self.end)))
            cursor = following
        return found


def _kind(label: str) -> str:
    if QUARTER.fullmatch(label.lower()):
        return "quarter"
    return "month" if MONTH.fullmatch(label) else "dates"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=timezone.utc)


def quarter_period(year: int, quarter: int) -> Period:
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=timezone.utc)
    end = _first_of_next_month(datetime(year, 3 * quarter, 1, tzinfo=timezone.utc))
    return Period(f"{year}-Q{quarter}", start, end)


def month_period(year: int, month: int) -> Period:
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    return Period(f"{year}-{month:02d}", start, _first_of_next_month(start))


def dates_period(first: date, last: date) -> Period:
    """From `first` to `last`, both days included."""
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}.", USAGE)
    return Period(f"{first} to {last}", _midnight(first), _midnight(last + timedelta(days=1)))


def _date(word: str, flag: str) -> date:
    try:
        return date.fromisoformat(word.strip())
    except ValueError:
        raise UsageError(f"{flag} “{word[:20]}” is not a date (YYYY-MM-DD).", USAGE) from None


def parse_period(text: str | None = None, *, first: str | None = None, last: str | None = None,
                 usage: str = USAGE) -> Period:
    """One of: `2026-Q4` (also `2026Q4`, `2026-q4`), `2026-11`, or first/last dates; `usage`
    goes with a UsageError (the slash command's own)."""
    if first or last:
        if text:
            raise UsageError("Give a period or --from/--to dates, not both.", USAGE)
        if not (first and last):
            raise UsageError("--from and --to go together.", USAGE)
        return dates_period(_date(first, "--from"), _date(last, "--to"))
    word = (text or "").strip()
    quarter, month = QUARTER.fullmatch(word.lower()), MONTH.fullmatch(word)
    if quarter and 1970 <= int(quarter.group(1)) <= 9999:
        return quarter_period(int(quarter.group(1)), int(quarter.group(2)))
    if month and 1970 <= int(month.group(1)) <= 9999 and 1 <= int(month.group(2)) <= 12:
        return month_period(int(month.group(1)), int(month.group(2)))
    if not word:
        raise UsageError(f"Which period? Give {FORMS}, or --from and --to dates.", usage)
    raise UsageError(f"“{word[:20]}” is not a period: give {FORMS}.", usage)


def last_complete_month(now: datetime) -> Period:
    """The month before the one `now` is in (what a digest on the 1st reports)."""
    return month_period(now.year - 1, 12) if now.month == 1 else month_period(now.year, now.month - 1)
