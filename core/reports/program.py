"""The program report's numbers for one period. The response metrics are `stats`'s own
(core.scheduling.stats.build_for: the same incidents, spans, means and SLA breaches), so the
report and `bot.py stats --period` cannot disagree; this adds p90, the share of SLAs met,
the previous period, volumes, findings, drills, action items and containment. Drills are
measured apart (stats with drills=True) and never enter the real figures. What the database
cannot tell is named in `unknown`, never guessed."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.incidents.metrics import METRICS, SLAS, Measured
from core.incidents.model import Incident
from core.reports.ports import ContainmentFact, FindingFact
from core.scheduling import stats
from core.scheduling.period import Period
from core.services import Services

DIMENSIONS = ("severity", "category", "account", "source")
BY_HAND = "declared by hand"  # the source of an incident no finding is linked to
UNKNOWN_ACCOUNT = "no account"
DECIDED = ("approved", "running", "succeeded", "failed", "undone")  # states an approval led to


@dataclass(frozen=True)
class Timing:
    """One metric of one severity: stats' mean, the p90, and the SLA target and share met."""

    n: int
    mean: timedelta | None
    p90: timedelta | None
    target: timedelta | None = None
    met: int = 0  # incidents that reached the milestone within the target
    judged: int = 0  # incidents the target applies to


@dataclass(frozen=True)
class FindingVolume:
    total: int
    by_type: list[tuple[str, int]]  # most frequent first
    became_incidents: int  # findings linked to an incident
    dismissed: int
    snoozed_now: int  # findings of the period still snoozed
    snoozes_set: int


@dataclass(frozen=True)
class DrillRun:
    label: str
    scenario: str
    score: float | None  # share of expected containment done (None: not scored yet / nothing expected)
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FollowThrough:
    owner: str
    opened: int
    done: int
    overdue: int


@dataclass(frozen=True)
class ContainmentKind:
    action: str
    requested: int
    approved: int
    denied: int
    mean_approval: timedelta | None
    p90_approval: timedelta | None


@dataclass(frozen=True)
class ProgramReport:
    period: Period
    generated_at: datetime
    real: stats.Report
    previous: stats.Report
    drills: stats.Report
    timings: dict[str, dict[str, Timing]]  # severity (and "all") -> metric -> Timing
    previous_means: dict[str, timedelta | None]  # metric -> mean of all severities, previous period
    volume: dict[str, dict[str, Counter]]  # dimension -> month (YYYY-MM) -> value -> incidents
    findings: FindingVolume
    drill_runs: list[DrillRun]
    follow_through: list[FollowThrough]
    containment: list[ContainmentKind]
    unknown: list[str] = field(default_factory=list)

    @property
    def declared(self) -> int:
        return self.real.total.count + sum(len(found) for found in self.real.excluded.values())


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (p90 of 10 values is the 9th): the value that share reached."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _p90(spans: list[timedelta]) -> timedelta | None:
    value = percentile([s.total_seconds() for s in spans], 0.9)
    return None if value is None else timedelta(seconds=value)


def _timings(services: Services, summaries: list, measured: tuple[Measured, ...]) -> dict[str, dict[str, Timing]]:
    limits = services.config.scheduling.sla_limit
    found: dict[str, dict[str, Timing]] = {}
    for summary in summaries:
        group = [m for m in measured if summary.label in ("all", m.incident.severity)]
        row = {}
        for metric in METRICS:
            spans = [m.spans[metric] for m in group if m.spans[metric] is not None]
            n, mean = (summary.stats[metric] or (0, None))[:2]
            target = limits(summary.label, metric) if metric in SLAS and summary.label != "all" else None
            judged = [m for m in group if metric in SLAS and limits(m.incident.severity, metric) is not None]
            row[metric] = Timing(n, mean, _p90(spans), target, sum(metric not in m.breaches for m in judged),
                                 len(judged))
        found[summary.label] = row
    return found


def _volume(incidents: list[Incident], origins: dict[int, tuple[str, str | None]], period: Period
            ) -> dict[str, dict[str, Counter]]:
    volume: dict[str, dict[str, Counter]] = {d: {month: Counter() for month, _, _ in period.months()}
                                             for d in DIMENSIONS}
    for incident in incidents:
        month = f"{incident.declared_at:%Y-%m}"
        source, account = origins.get(incident.id, (BY_HAND, None))
        for dimension, value in (("severity", incident.severity), ("category", incident.category),
                                 ("account", account or UNKNOWN_ACCOUNT), ("source", source)):
            volume[dimension].setdefault(month, Counter())[value] += 1
    return volume


def _findings(found: list[FindingFact], snoozes_set: int) -> FindingVolume:
    types = Counter(f.type for f in found)
    return FindingVolume(len(found), types.most_common(), sum(f.incident_id is not None for f in found),
                         sum(f.status == "dismissed" for f in found), sum(f.status == "snoozed" for f in found),
                         snoozes_set)


def _drill_runs(drills: stats.Report) -> list[DrillRun]:
    incidents = sorted([m.incident for m in drills.measured]
                       + [i for found in drills.excluded.values() for i in found], key=lambda i: i.declared_at)
    runs = []
    for incident in incidents:
        card = incident.drill.get("scorecard") or {}
        expected = card.get("expected") or []
        done = sum(1 for e in expected if e.get("outcome") == "done")
        runs.append(DrillRun(incident.label, str(incident.drill.get("scenario", "?")),
                             done / len(expected) if expected else None, tuple(card.get("lines") or ())))
    return runs


def _follow_through(services: Services, incident_ids: list[int], now: datetime) -> list[FollowThrough]:
    owners: dict[str, list[int]] = {}
    for item in services.repos.reports.action_items(incident_ids):
        tally = owners.setdefault(item.owner or "no owner", [0, 0, 0])
        tally[0] += 1
        tally[1] += item.done_at is not None
        tally[2] += item.done_at is None and item.due is not None and item.due < now.date()
    return [FollowThrough(owner, *tally) for owner, tally in sorted(owners.items(), key=lambda kv: -kv[1][0])]


def _containment(requests: list[ContainmentFact]) -> list[ContainmentKind]:
    kinds: dict[str, list[ContainmentFact]] = {}
    for request in requests:
        if not request.undo:
            kinds.setdefault(request.action, []).append(request)
    found = []
    for action, group in sorted(kinds.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        waits = [(r.decided_at - r.requested_at).total_seconds() for r in group
                 if r.state in DECIDED and r.decided_at is not None]
        mean = timedelta(seconds=sum(waits) / len(waits)) if waits else None
        p90 = percentile(waits, 0.9)
        found.append(ContainmentKind(action, len(group), sum(r.state in DECIDED for r in group),
                                     sum(r.state == "denied" for r in group), mean,
                                     None if p90 is None else timedelta(seconds=p90)))
    return found


UNKNOWN = ["Owner teams: action items record a person, not a team, so follow-through is shown by owner.",
           "Detect time is measured only for incidents with a linked finding seen before the declaration.",
           "Snoozes: a scope snoozed again keeps only its latest snooze, so earlier ones are not counted.",
           "SLA met: an incident still within its target counts as met (stats' SLA breaches are the rest)."]


def build(services: Services, period: Period) -> ProgramReport:
    real, drills = stats.build_for(services, period), stats.build_for(services, period, drills=True)
    previous = stats.build_for(services, period.previous())
    incidents = [m.incident for m in real.measured] + [i for found in real.excluded.values() for i in found]
    queries, ids = services.repos.reports, [i.id for i in incidents]
    now = services.clock.now()
    real_ids = set(ids)
    findings = [f for f in queries.findings_received(period.start, period.end)
                if not f.drill and (f.incident_id is None or f.incident_id in real_ids)]
    return ProgramReport(
        period, now, real, previous, drills,
        _timings(services, [real.total, *real.by_severity], real.measured),
        {m: (previous.total.stats[m][1] if previous.total.stats[m] else None) for m in METRICS},
        _volume(incidents, queries.origins(ids), period),
        _findings(findings, queries.snoozes_set(period.start, period.end)),
        _drill_runs(drills), _follow_through(services, ids, now),
        _containment([r for r in queries.containment_requested(period.start, period.end)
                      if r.incident_id in real_ids]),
        list(UNKNOWN))
