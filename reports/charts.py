"""The program report's charts as PNG images, drawn with matplotlib's Agg backend (no display,
no browser, nothing fetched at view time). Each chart has a title, labelled axes with units,
the Okabe-Ito colour-blind-safe palette, and alt text that says what it shows in words."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta

# matplotlib keeps its font cache under the home directory; the image's user has none it can
# write, and without a writable place matplotlib warns and rebuilds the cache at every start.
if not os.access(os.path.expanduser("~"), os.W_OK):
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(tempfile.gettempdir(), "firebreak-matplotlib"))

import matplotlib  # noqa: E402 - after choosing where it keeps its cache

matplotlib.use("Agg")  # before pyplot: never a display
from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend
from matplotlib.ticker import MaxNLocator  # noqa: E402

from core.incidents.metrics import METRICS  # noqa: E402
from core.reports.program import ProgramReport  # noqa: E402
from core.reports.summary import span  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
SLA_COLOUR = "#D55E00"


@dataclass(frozen=True)
class Chart:
    name: str  # file stem: report-2026-Q4-times.png
    title: str
    alt: str
    png: bytes


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    figure.patch.set_facecolor("white")
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _unit(values: list[timedelta | None]) -> tuple[str, float]:
    """Minutes unless the longest is over 3 hours (then hours): readable axis numbers."""
    longest = max((v.total_seconds() for v in values if v is not None), default=0)
    return ("hours", 3600.0) if longest > 3 * 3600 else ("minutes", 60.0)


def _empty(axes, what: str) -> None:
    axes.text(0.5, 0.5, f"No {what} in this period", ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def times_chart(report: ProgramReport) -> Chart:
    """Mean and p90 of each metric per severity, with each SLA target drawn as a line."""
    severities = [s for s in report.timings if s != "all"]
    title = f"Response times by severity, {report.period.label} (mean and p90; dashed: SLA target)"
    figure = new_figure(10, 5.5)
    if not severities:
        axes = figure.subplots()
        _empty(axes, "measured incidents")
        axes.set_title(title)
        return Chart("times", title, f"No incidents were measured in {report.period.label}.", _png(figure))
    grid = figure.subplots(1, len(METRICS), sharey=False, squeeze=False)[0]
    words = []
    for axes, metric in zip(grid, METRICS):
        cells = [report.timings[s][metric] for s in severities]
        unit, scale = _unit([c.p90 for c in cells] + [c.target for c in cells])
        x = range(len(severities))
        axes.bar([i - 0.2 for i in x], [(c.mean or timedelta()).total_seconds() / scale for c in cells], 0.4,
                 label="mean", color=OKABE_ITO[0])
        axes.bar([i + 0.2 for i in x], [(c.p90 or timedelta()).total_seconds() / scale for c in cells], 0.4,
                 label="p90", color=OKABE_ITO[1])
        labelled = False
        for i, cell in enumerate(cells):
            if cell.target:
                axes.hlines(cell.target.total_seconds() / scale, i - 0.45, i + 0.45, colors=SLA_COLOUR,
                            linestyles="dashed", label=None if labelled else "SLA target")
                labelled = True
                words.append(f"{severities[i]} {metric}: mean {span(cell.mean)}, p90 {span(cell.p90)}, "
                             f"target {span(cell.target)}, met {cell.met} of {cell.judged}")
        for i, cell in enumerate(cells):
            if cell.mean is None:  # not reached, or unknown: say so rather than draw a zero
                axes.text(i, 0, "n/a", ha="center", va="bottom", fontsize="small")
        axes.set_ylim(bottom=0)
        axes.set_xticks(list(x), [f"{s}\nmet {c.met}/{c.judged}" if c.judged else s
                                  for s, c in zip(severities, cells)])
        axes.set_title(f"Time to {metric}")
        axes.set_xlabel("severity")
        axes.set_ylabel(f"time ({unit})")
    legend = {}
    for axes in grid:
        for handle, label in zip(*axes.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    if legend:
        figure.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=len(legend))
    figure.suptitle(title)
    alt = (f"Bar charts of the mean and 90th percentile time to {', '.join(METRICS)} for each severity in "
           f"{report.period.label}. " + ("; ".join(words) + "." if words else "No SLA targets apply."))
    return Chart("times", title, alt, _png(figure))


def trend_chart(report: ProgramReport) -> Chart:
    now = report.timings.get("all", {})
    current = [now[m].mean if now else None for m in METRICS]
    before = [report.previous_means[m] for m in METRICS]
    unit, scale = _unit(current + before)
    figure = new_figure()
    axes = figure.subplots()
    x = range(len(METRICS))
    for offset, values, label, colour in ((-0.2, before, report.period.previous().label, OKABE_ITO[4]),
                                          (0.2, current, report.period.label, OKABE_ITO[0])):
        axes.bar([i + offset for i in x], [(v or timedelta()).total_seconds() / scale for v in values], 0.4,
                 label=label, color=colour)
    axes.set_xticks(list(x), [f"to {m}" for m in METRICS])
    axes.set_xlabel("response metric")
    axes.set_ylabel(f"mean time ({unit})")
    title = f"Mean response times, {report.period.label} against {report.period.previous().label}"
    axes.set_title(title)
    axes.legend()
    alt = "Grouped bars of mean response times. " + "; ".join(
        f"{m}: {span(c)} now, {span(b)} before" for m, c, b in zip(METRICS, current, before)) + "."
    return Chart("trend", title, alt, _png(figure))


def volume_chart(report: ProgramReport, dimension: str) -> Chart:
    """Incidents declared per month, stacked by `dimension`."""
    months = report.volume[dimension]
    values = sorted({v for counts in months.values() for v in counts})
    figure = new_figure()
    axes = figure.subplots()
    bottom, x = [0] * len(months), list(range(len(months)))  # positions: "2026-10" is a label, not a date
    for i, value in enumerate(values):
        heights = [months[m][value] for m in months]
        axes.bar(x, heights, bottom=bottom, label=value, color=OKABE_ITO[i % len(OKABE_ITO)])
        bottom = [b + h for b, h in zip(bottom, heights)]
    axes.set_xticks(x, list(months))
    if not values:
        _empty(axes, "incidents")
    else:
        axes.legend(title=dimension, fontsize="small")
    axes.set_xlabel("month")
    axes.set_ylabel("incidents declared (count)")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    title = f"Incidents by {dimension} per month, {report.period.label}"
    axes.set_title(title)
    alt = f"Stacked bars of incidents declared per month by {dimension}. " + ("; ".join(
        f"{m}: " + (", ".join(f"{v} {n}" for v, n in sorted(months[m].items()) if n) or "none") for m in months)
        if values else "No incidents.")
    return Chart(f"volume-{dimension}", title, alt, _png(figure))


def _bars(name: str, title: str, labels: list[str], series: list[tuple[str, list[float]]], xlabel: str,
          ylabel: str, empty: str) -> Chart:
    """Horizontal grouped bars (long labels such as finding types stay readable)."""
    figure = new_figure(8, max(3.0, 0.45 * len(labels) * max(1, len(series)) + 1.5))
    axes = figure.subplots()
    height = 0.8 / max(1, len(series))
    for k, (label, values) in enumerate(series):
        axes.barh([i + k * height for i in range(len(labels))], values, height, label=label,
                  color=OKABE_ITO[k % len(OKABE_ITO)])
    if not labels:
        _empty(axes, empty)
    else:
        axes.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(labels))], labels, fontsize="small")
        axes.invert_yaxis()
        if len(series) > 1:
            axes.legend(fontsize="small")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    alt = f"Bar chart: {title}. " + ("; ".join(
        f"{label}: " + ", ".join(f"{s} {v:g}" for s, v in ((s, vals[i]) for s, vals in series))
        for i, label in enumerate(labels)) if labels else f"No {empty}.")
    return Chart(name, title, alt, _png(figure))


def findings_chart(report: ProgramReport, top: int = 12) -> Chart:
    f = report.findings
    shown = f.by_type[:top]
    return _bars("findings", f"Findings by type (top {top}), {report.period.label}: {f.total} received, "
                 f"{f.became_incidents} became incidents", [t[:60] for t, _ in shown],
                 [("findings", [float(n) for _, n in shown])], "findings received (count)", "finding type",
                 "findings")


def drills_chart(report: ProgramReport) -> Chart:
    """Scored drills only: one still running (or with nothing expected) has no score, not a zero."""
    runs = [d for d in report.drill_runs if d.score is not None]
    unscored = len(report.drill_runs) - len(runs)
    chart = _bars("drills", f"Drills in {report.period.label}: expected containment done",
                  [f"{d.label} {d.scenario}" for d in runs],
                  [("done %", [100 * d.score for d in runs])], "expected containment done (%)", "drill",
                  "scored drills")
    if not unscored:
        return chart
    return Chart(chart.name, chart.title, f"{chart.alt} {unscored} drill(s) not scored yet.", chart.png)


def actions_chart(report: ProgramReport) -> Chart:
    items = report.follow_through
    return _bars("actions", f"Action items by owner, incidents of {report.period.label}",
                 [i.owner for i in items], [("opened", [float(i.opened) for i in items]),
                                            ("done", [float(i.done) for i in items]),
                                            ("overdue", [float(i.overdue) for i in items])],
                 "action items (count)", "owner (Slack user id)", "action items")


def containment_chart(report: ProgramReport) -> Chart:
    kinds = report.containment
    return _bars("containment", f"Containment actions by kind, {report.period.label}", [k.action for k in kinds],
                 [("requested", [float(k.requested) for k in kinds]),
                  ("approved", [float(k.approved) for k in kinds]),
                  ("denied", [float(k.denied) for k in kinds])], "requests (count)", "action", "containment requests")


def draw(report: ProgramReport) -> list[Chart]:
    """Every chart of the report, in the order of core.reports.summary.sections."""
    return [times_chart(report), trend_chart(report),
            *(volume_chart(report, d) for d in ("severity", "category", "account", "source")),
            findings_chart(report), drills_chart(report), actions_chart(report), containment_chart(report)]
