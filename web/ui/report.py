"""The program report in the browser: the same report (core/reports/program.py) and the
same charts `bot.py report` draws (reports/charts.py, handed in by the composition root:
web draws nothing itself). A report is built once per period and kept a few minutes, so
the page and its nine images cost one build, not ten."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from core.browser.views import require_responder
from core.incidents.service import visible_to
from core.reports import program, summary
from core.scheduling.period import month_period, parse_period
from core.services import Services

KEEP_SECONDS = 300.0
EXCLUDED = "False positives and cancellations"  # the one section that names incidents


@dataclass(frozen=True)
class Shown:
    report: program.ProgramReport
    headline: list[str]
    sections: list[tuple[str, str, tuple]]  # heading, chart name ("" none), (header, rows)
    charts: dict  # name -> Chart (title, alt, png)


class ReportCharts:
    def __init__(self, draw: Callable[[program.ProgramReport], list] | None, now: Callable[[], float] = time.monotonic):
        self.draw = draw or (lambda report: [])
        self.now = now
        self._kept: dict[str, tuple[float, program.ProgramReport, dict]] = {}
        self._lock = threading.Lock()

    def _built(self, services: Services, period_text: str) -> tuple[program.ProgramReport, dict]:
        if period_text:
            period = parse_period(period_text, usage="a period: 2026-Q4 or 2026-11")
        else:
            today = services.clock.now()
            period = month_period(today.year, today.month)
        with self._lock:
            kept = self._kept.get(period.label)
            if kept and self.now() - kept[0] < KEEP_SECONDS:
                return kept[1], kept[2]
        report = program.build(services, period)
        charts = {c.name: c for c in self.draw(report)}
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if self.now() - v[0] < KEEP_SECONDS}
            self._kept[period.label] = (self.now(), report, charts)
        return report, charts

    def page(self, services: Services, actor: str, period_text: str) -> Shown:
        """The report for `period_text` (default: this month); a private incident's title is
        listed only to those who may see it."""
        require_responder(services, actor)
        report, charts = self._built(services, period_text)
        hidden = {i.label for found in report.real.excluded.values() for i in found
                  if not visible_to(services, i, actor, unknown_members_hide=True)}
        sections = []
        for heading, chart, (header, rows) in summary.sections(report):
            if heading == EXCLUDED:
                rows = [row if row[0] not in hidden else [row[0], row[1], "(private)"] for row in rows]
            sections.append((heading, chart, (header, rows)))
        return Shown(report, summary.headline(report), sections, charts)

    def png(self, services: Services, actor: str, period_label: str, name: str) -> bytes | None:
        require_responder(services, actor)
        _, charts = self._built(services, period_label)
        chart = charts.get(name)
        return chart.png if chart is not None else None
