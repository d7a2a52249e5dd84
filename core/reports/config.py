"""`reports`: the scheduled program-report digest. Off unless `schedule` is set; then the
clock posts the report of the period just ended to `channel` once, at `at` local time in
`time_zone` on `day` of each month (every: month) or of each quarter's first month
(every: quarter)."""

from __future__ import annotations

import re
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from core.validators import Strict

CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,20}$")


class ReportSchedule(Strict):
    every: Literal["month", "quarter"] = "month"
    day: int = Field(default=1, ge=1, le=28)  # 28: every month has it
    at: str = "09:00"

    @field_validator("at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected a time of day HH:MM (e.g. 09:00), got {value!r}") from None
        return value

    def local_time(self) -> time:
        return time.fromisoformat(self.at)


class ReportsConfig(Strict):
    schedule: ReportSchedule | None = None  # None: no digest
    channel: str | None = None  # Slack channel id (C… or G…) the digest is posted to
    time_zone: str = "UTC"  # the team's IANA time zone, e.g. Europe/Berlin

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL.match(value):
            raise ValueError(f"expected a Slack channel id like C0123ABCD, got {value!r}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; expected an IANA name like Europe/Berlin") from None
        return value

    @model_validator(mode="after")
    def _channel_for_schedule(self) -> "ReportsConfig":
        if self.schedule is not None and self.channel is None:
            raise ValueError("schedule is set but channel is not: name the channel the digest is posted to")
        return self

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
