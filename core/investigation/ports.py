"""What investigation needs from AWS."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.investigation.model import Event, Question


class EventHistory(Protocol):
    def lookup(self, question: Question, *, start: datetime, end: datetime, account: str | None,
               region: str) -> tuple[list[Event], bool]:
        """CloudTrail management events about the subject in the window, and whether there
        were more than one answer reads. Read-only; raises a FirebreakError saying why it
        failed (permission, throttling)."""
