"""The program report in words and tables (plain data: the documents and Slack render them).
Response times are the ones `stats` prints (same `human` spans), so the two read alike."""

from __future__ import annotations

from datetime import timedelta

from core.incidents.metrics import METRICS, human
from core.reports.program import ProgramReport, Timing
from core.scheduling import stats

Table = tuple[list[str], list[list[str]]]  # (header, rows)


def span(value: timedelta | None) -> str:
    return human(value) if value is not None else "n/a"


def share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}% ({part}/{whole})" if whole else "n/a"


def trend(now: timedelta | None, before: timedelta | None) -> str:
    """Faster is better: a drop in time is an improvement."""
    if now is None or before is None:
        return "n/a"
    if before.total_seconds() == 0:
        return "same" if now == before else "slower"
    change = (now - before) / before
    word = "slower" if change > 0 else "faster" if change < 0 else "same"
    return f"{'+' if change >= 0 else '−'}{abs(round(100 * change))}% ({word})"


def headline(report: ProgramReport) -> list[str]:
    """A few lines that stand alone (the Slack post, the top of every document)."""
    real, excluded = report.real, report.real.excluded
    all_ = report.timings.get("all", {})
    lines = [f"Incidents declared {stats.window(real)}: {report.declared} "
             f"({report.previous.total.count + sum(map(len, report.previous.excluded.values()))} in "
             f"{report.period.previous().label}).",
             "Mean time to acknowledge " + span(all_["acknowledge"].mean if all_ else None)
             + ", to contain " + span(all_["contain"].mean if all_ else None)
             + ", to recover " + span(all_["recover"].mean if all_ else None) + "."]
    judged = [t for severity, row in report.timings.items() if severity != "all" for t in row.values() if t.judged]
    if judged:
        lines.append("SLAs met: " + share(sum(t.met for t in judged), sum(t.judged for t in judged)) + ".")
    if excluded:
        lines.append("Not measured: " + ", ".join(f"{len(found)} {stats.EXCLUDED_NAMES[kind][len(found) != 1]}"
                                                 for kind, found in excluded.items()) + ".")
    f = report.findings
    lines.append(f"Findings received: {f.total}; {share(f.became_incidents, f.total)} became incidents; "
                 f"{f.dismissed} dismissed; {f.snoozes_set} snoozes set.")
    lines.append(f"Drills (kept apart from the figures above): {len(report.drill_runs)}.")
    return lines


def _timing_cells(t: Timing) -> list[str]:
    return [str(t.n), span(t.mean), span(t.p90), span(t.target) if t.target else "none",
            share(t.met, t.judged) if t.judged else "n/a"]


def timing_table(report: ProgramReport) -> Table:
    header = ["severity", "metric", "measured", "mean", "p90", "SLA target", "SLA met"]
    return header, [[severity, metric, *_timing_cells(row[metric])]
                    for severity, row in report.timings.items() for metric in METRICS]


def trend_table(report: ProgramReport) -> Table:
    now = report.timings.get("all", {})
    return (["metric", report.period.label, report.period.previous().label, "change"],
            [[m, span(now[m].mean if now else None), span(report.previous_means[m]),
              trend(now[m].mean if now else None, report.previous_means[m])] for m in METRICS])


def volume_table(report: ProgramReport, dimension: str) -> Table:
    months = report.volume[dimension]
    values = sorted({v for counts in months.values() for v in counts})
    return [dimension, *months], [[v, *(str(months[m][v]) for m in months)] for v in values]


def findings_table(report: ProgramReport, top: int = 15) -> Table:
    return ["finding type", "findings"], [[t, str(n)] for t, n in report.findings.by_type[:top]]


def drills_table(report: ProgramReport) -> Table:
    return (["drill", "scenario", "expected containment done"],
            [[d.label, d.scenario, f"{round(100 * d.score)}%" if d.score is not None else "not scored"]
             for d in report.drill_runs])


def follow_through_table(report: ProgramReport) -> Table:
    return (["owner", "opened", "done", "overdue"],
            [[f.owner, str(f.opened), str(f.done), str(f.overdue)] for f in report.follow_through])


def containment_table(report: ProgramReport) -> Table:
    return (["action", "requested", "approved", "denied", "approval mean", "approval p90"],
            [[c.action, str(c.requested), str(c.approved), str(c.denied), span(c.mean_approval),
              span(c.p90_approval)] for c in report.containment])


def excluded_table(report: ProgramReport) -> Table:
    return (["incident", "resolution", "title"],
            [[i.label, kind, i.title] for kind, found in report.real.excluded.items() for i in found])


def sections(report: ProgramReport) -> list[tuple[str, str, Table]]:
    """(heading, chart name or "", table) in reading order; each document lays these out."""
    return [("Response times by severity", "times", timing_table(report)),
            ("Trend against the previous period", "trend", trend_table(report)),
            *[(f"Incidents by {d} over time", f"volume-{d}", volume_table(report, d)) for d in
              ("severity", "category", "account", "source")],
            ("Findings by type", "findings", findings_table(report)),
            ("Drills (apart from real incidents)", "drills", drills_table(report)),
            ("Action items by owner", "actions", follow_through_table(report)),
            ("Containment actions by kind, with approval latency", "containment", containment_table(report)),
            ("False positives and cancellations", "", excluded_table(report))]
