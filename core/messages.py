"""Where chat shows a message that core keeps current (a finding's triage message, a digest,
a request's card): posted once, remembered, then edited in place instead of posted again."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PostedMessage:
    """The channel and timestamp chat gave a message when it was posted."""

    channel: str
    ts: str
