"""`/incident stats [30d]` and `python bot.py stats [--days N]`: response metrics of the
incidents declared in the last N days, by severity and by category, with SLA breaches
(definitions in core.incidents.metrics; limits from `scheduling.sla`). Cancelled incidents and false
positives are not measured; the report counts and names them. One plain-text table serves
both the terminal and Slack (in a code block)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import UsageError
from core.incidents.metrics import METRICS, SLAS, Measured, Summary, group, human, measure, summarize, with_verification
from core.incidents.model import CANCELLED, FALSE_POSITIVE, UNMEASURED, Incident
from core.scheduling.period import Period
from core.services import Services

DEFAULT_DAYS = 30
MAX_DAYS = 3650
USAGE = "/incident stats [30d]"
EXCLUDED_NAMES = {CANCELLED: ("cancelled", "cancelled"), FALSE_POSITIVE: ("false positive", "false positives")}


@dataclass(frozen=True)
class Report:
    days: int
    since: datetime
    total: Summary
    by_severity: list[Summary]
    by_category: list[Summary]
    # Declared in the window but not measured: resolution (cancelled, false-positive) -> incidents
    excluded: dict[str, list[Incident]] = field(default_factory=dict)
    until: datetime | None = None  # end of the window (exclusive); None: up to now
    label: str | None = None  # the period asked for (2026-Q4), when one was
    measured: tuple[Measured, ...] = ()  # each measured incident, for reports that draw them


class DrillDays(int):
    """A window of days that measures drills (`/incident stats drills`) instead of real incidents."""

    drills = True


def parse_days(word: str | None) -> int:
    """`30d`, `30` or nothing (30 days); `drills`: the drills of the last 30 days."""
    if not word:
        return DEFAULT_DAYS
    if word.strip().lower() == "drills":
        return DrillDays(DEFAULT_DAYS)
    match = re.fullmatch(r"(\d{1,4})d?", word.strip().lower())
    if not match or not 1 <= int(match.group(1)) <= MAX_DAYS:
        raise UsageError(f"“{word[:20]}” is not a number of days between 1 and {MAX_DAYS} (e.g. 30d).", USAGE)
    return int(match.group(1))


def build(services: Services, days: int, *, drills: bool | None = None) -> Report:
    """Drills are left out unless asked for (then only drills are measured)."""
    since = services.clock.now() - timedelta(days=days)
    drills = getattr(days, "drills", False) if drills is None else drills
    return build_between(services, since, None, drills=drills, days=days)


def build_for(services: Services, period: Period, *, drills: bool = False) -> Report:
    """The incidents declared in a period (a quarter, a month, from/to dates)."""
    return build_between(services, period.start, period.end, drills=drills, days=period.days, label=period.label)


def build_between(services: Services, since: datetime, until: datetime | None, *, drills: bool, days: int,
                  label: str | None = None) -> Report:
    """The one implementation behind `stats`, `stats --period` and the program report:
    incidents declared in [since, until), measured with SLAs judged at the clock's now."""
    now = services.clock.now()
    queries, cfg = services.repos.clock_queries, services.config
    declared = [i for i in queries.declared_since(since) if bool(getattr(i, "drill", None)) == drills
                and (until is None or i.declared_at < until)]
    incidents = [i for i in declared if i.measured]
    excluded: dict[str, list[Incident]] = {}
    for incident in declared:
        if not incident.measured:
            excluded.setdefault(incident.resolution, []).append(incident)
    ids = [i.id for i in incidents]
    actions, seen = queries.actions(ids), queries.first_seen(ids)
    measured = [measure(i, with_verification(actions[i.id], services.repos.containment.get), seen.get(i.id),
                        {sla: cfg.scheduling.sla_limit(i.severity, sla) for sla in SLAS}, now) for i in incidents]
    return Report(days, since, summarize(measured, "all"),
                  group(measured, lambda i: i.severity, cfg.incidents.severity_names),
                  group(measured, lambda i: i.category, cfg.incidents.categories),
                  {kind: excluded[kind] for kind in UNMEASURED if kind in excluded}, until, label, tuple(measured))


def _cell(stats: tuple[int, timedelta, timedelta] | None) -> str:
    if stats is None:
        return "n/a"
    n, average, middle = stats
    return f"{human(average)} / {human(middle)} ({n})"


def _rows(heading: str, summaries: list[Summary]) -> list[list[str]]:
    return [[heading, "count", *METRICS, "SLA breaches"]] + [
        [s.label, str(s.count), *(_cell(s.stats[m]) for m in METRICS),
         " / ".join(str(s.breaches[sla]) for sla in SLAS)] for s in summaries]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
            .rstrip() for row in rows]


def window(report: Report) -> str:
    """The days a report covers, in words."""
    if report.until is None:
        return f"in the last {report.days} days (since {report.since:%Y-%m-%d %H:%M} UTC)"
    last = report.until - timedelta(seconds=1)
    return f"in {report.label or 'the period'} ({report.since:%Y-%m-%d} to {last:%Y-%m-%d} UTC)"


def render(report: Report) -> str:
    declared = report.total.count + sum(len(found) for found in report.excluded.values())
    lines = [f"Incidents declared {window(report)}: {declared}",
             "Each metric: mean / median (incidents measured); SLA breaches: acknowledge / contain.", ""]
    if report.excluded:
        lines.insert(1, "Not counted in the metrics: " + "; ".join(
            f"{len(found)} {EXCLUDED_NAMES[kind][len(found) != 1]} ({', '.join(i.label for i in found[:10])}"
            + (", …" if len(found) > 10 else "") + ")" for kind, found in report.excluded.items()) + ".")
    if report.total.count:
        lines += _table(_rows("severity", [report.total, *report.by_severity])) + [""]
        lines += _table(_rows("category", report.by_category))
    return "\n".join(lines).rstrip() + "\n"
