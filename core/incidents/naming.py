"""Incident channel names that Slack accepts: lower-case letters, digits, - and _, at most
80 characters."""

from __future__ import annotations

import re
import unicodedata

SLACK_MAX = 80


def slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "incident"


def channel_name(pattern: str, *, incident_id: int, title: str, severity: str, attempt: int = 1) -> str:
    """Name for attempt 1, 2, ...: the second and later attempts end in -2, -3, ..."""
    suffix = "" if attempt == 1 else f"-{attempt}"
    full_slug = slug(title)
    name = _clean(pattern.format(id=incident_id, slug=full_slug, severity=severity))
    if len(name) + len(suffix) > SLACK_MAX:
        # Shorten the slug, not the id: the id is what people search for.
        overflow = len(name) + len(suffix) - SLACK_MAX
        short_slug = full_slug[: max(1, len(full_slug) - overflow)].rstrip("-")
        name = _clean(pattern.format(id=incident_id, slug=short_slug, severity=severity))[: SLACK_MAX - len(suffix)]
    return name.rstrip("-_") + suffix


def _clean(name: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]", "-", name.lower())).strip("-_")
