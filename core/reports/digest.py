"""The scheduled digest: on `reports.schedule` (e.g. the 1st of each month at 09:00 in
`reports.time_zone`) the clock posts the report of the period just ended to `reports.channel`.

A sweep like the others (core/scheduling/registry.py): every `scheduling.sweep_seconds` it
works out the latest scheduled moment at or before now and, within CATCH_UP of it, delivers
that period's report through the Deliverer under the key `program-report:<period>`, so two
clocks, a restart or a failover post it exactly once. Past CATCH_UP (the clock was down for
days, or the schedule was just switched on) it is skipped rather than posted late."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.reports import program
from core.reports.config import ReportsConfig
from core.scheduling.delivery import Deliverer
from core.scheduling.period import Period, month_period, quarter_period
from core.scheduling.ports import Notices
from core.services import Services

CATCH_UP = timedelta(days=3)
QUARTER_MONTHS = (1, 4, 7, 10)


def _months_back(year: int, month: int, back: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) - back
    return index // 12, index % 12 + 1


def latest_occurrence(cfg: ReportsConfig, now: datetime) -> tuple[datetime, Period] | None:
    """The latest scheduled moment at or before `now` (aware), and the period it reports."""
    schedule = cfg.schedule
    if schedule is None:
        return None
    local = now.astimezone(cfg.zone())
    for back in range(0, 4):
        year, month = _months_back(local.year, local.month, back)
        if schedule.every == "quarter" and month not in QUARTER_MONTHS:
            continue
        moment = datetime.combine(datetime(year, month, schedule.day).date(), schedule.local_time(),
                                  tzinfo=cfg.zone())
        if moment <= local:
            before_year, before_month = _months_back(year, month, 1)
            period = (quarter_period(before_year, (before_month - 1) // 3 + 1) if schedule.every == "quarter"
                      else month_period(before_year, before_month))
            return moment, period
    return None


class ReportDigest:
    """The sweep; returns 1 when this call posted the digest, else 0."""

    name = "program-report"

    def __init__(self, notices: Notices, deliver: Deliverer):
        self.notices = notices
        self.deliver = deliver

    def __call__(self, services: Services) -> int:
        cfg, now = services.config.reports, services.clock.now()
        due = latest_occurrence(cfg, now)
        if due is None or cfg.channel is None or now - due[0] > CATCH_UP:
            return 0
        period = due[1]
        return int(self.deliver(f"{self.name}:{period.label}", None,
                                lambda: self.notices.program_report(cfg.channel, program.build(services, period))))
