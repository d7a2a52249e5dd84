"""Timestamp parsing/formatting: every Finding timestamp is one sortable UTC string format."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

# Fixed width with milliseconds, so plain string comparison orders timestamps correctly.
_FORMAT = "%Y-%m-%dT%H:%M:%S"
_EXCESS_FRACTION = re.compile(r"(\.\d{6})\d+")
_NUMBER = re.compile(r"\d+(\.\d+)?")


def parse_timestamp(value: Any) -> datetime | None:
    """Parse ISO 8601 text, epoch seconds/milliseconds or a datetime; None when unusable.

    Redacted ("XXXX"), empty or out-of-range values give None instead of raising,
    because samples and exports routinely carry them.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, (int, float)):
            seconds = value / 1000.0 if abs(value) >= 1e11 else float(value)
            parsed = datetime.fromtimestamp(seconds, tz=timezone.utc)
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if _NUMBER.fullmatch(text):
                return parse_timestamp(float(text))
            parsed = datetime.fromisoformat(_EXCESS_FRACTION.sub(r"\1", text))
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_timestamp(value: datetime) -> str:
    """Render as e.g. 2026-11-23T15:12:00.000Z (UTC, milliseconds, 'Z')."""
    value = value.astimezone(timezone.utc)
    if value.year < 1000:  # strftime's own padding for the odd ancient year
        return f"{value.strftime(_FORMAT)}.{value.microsecond // 1000:03d}Z"
    return (f"{value.year}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}.{value.microsecond // 1000:03d}Z")


# Text already in the stored format (or without its milliseconds), as AWS writes most times:
# checked by fromisoformat alone instead of parsed, converted and formatted again.
_CANONICAL = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")


def iso_utc(*candidates: Any) -> str | None:
    """First candidate that parses, normalised; None when none does (fallback chain)."""
    for candidate in candidates:
        if isinstance(candidate, str) and (canonical := _CANONICAL.fullmatch(candidate)) is not None:
            try:
                datetime.fromisoformat(candidate)
            except ValueError:
                continue  # 2026-02-30T...: parse_timestamp would refuse it too
            return candidate if canonical.group(1) else candidate[:-1] + ".000Z"
        parsed = parse_timestamp(candidate)
        if parsed is not None:
            return format_timestamp(parsed)
    return None
