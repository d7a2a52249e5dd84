"""The program report (`python bot.py report`): its numbers are `bot.py stats --period`'s for
the same period, drills are kept apart, and the html, md and pdf documents come with their
charts as PNG files (alt text in html, image links in md)."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from composition import build_services
from core.clock import ManualClock
from core.incidents.metrics import METRICS
from core.reports import program
from core.scheduling import stats
from core.scheduling.period import parse_period
from tests.support.cli import run_bot
from tests.support.reports import NOW, seed

PNG = b"\x89PNG\r\n\x1a\n"
Q4 = parse_period("2026-Q4")


@pytest.fixture
def seeded(settings):
    services = build_services(settings, clock=ManualClock(NOW))
    incidents = seed(services)
    yield services, incidents
    services.drain()


def test_the_report_measures_the_quarter_and_compares_it_with_the_one_before(seeded):
    services, _ = seeded
    report = program.build(services, Q4)
    assert report.declared == 3 and report.real.total.count == 2  # the false positive is counted, not measured
    sev1, sev2 = report.timings["sev1"], report.timings["sev2"]
    assert (sev1["detect"].mean, sev1["contain"].mean, sev1["recover"].mean) == (
        timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5))
    assert sev2["acknowledge"].mean == timedelta(minutes=20) and sev2["contain"].mean is None
    # shipped SLAs: sev1 acknowledge 15 m (met at once), contain 4 h (met at 2 h); sev2 acknowledge 30 m (met),
    # contain 8 h (never contained: breached by now)
    assert (sev1["contain"].met, sev1["contain"].judged, sev2["contain"].met, sev2["contain"].judged) == (1, 1, 0, 1)
    assert sev1["contain"].target == timedelta(hours=4) and sev1["detect"].target is None
    assert report.previous.total.count == 1 and report.previous_means["recover"] == timedelta(hours=3)
    assert [i.label for i in report.real.excluded["false-positive"]] == [seeded[1]["pentest"].label]
    assert report.volume["severity"]["2026-11"] == {"sev2": 1, "sev3": 1}
    assert report.volume["source"]["2026-10"] == {"guardduty": 1}
    assert report.volume["account"]["2026-11"] == {"210987654321": 1, "no account": 1}
    assert report.findings.total == 3 and report.findings.became_incidents == 2
    assert [(f.owner, f.opened, f.done, f.overdue) for f in report.follow_through] == [("UCAROL", 2, 1, 1)]


def test_drills_are_reported_apart_and_never_mixed_into_the_real_figures(seeded):
    services, incidents = seeded
    report = program.build(services, Q4)
    assert [(d.label, d.scenario, d.score) for d in report.drill_runs] == [
        (incidents["drill"].label, "crypto-mining", 0.5)]
    measured = {m.incident.id for m in report.real.measured}
    assert incidents["drill"].id not in measured
    # the drill was contained in 1 minute: mixed in, the sev1 mean would no longer be 2 h
    assert report.timings["sev1"]["contain"].mean == timedelta(hours=2)
    assert report.drills.total.count == 1


def _stats_rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in out.splitlines() if re.match(r"sev\d ", line)}


def _md_timings(text: str) -> dict[tuple[str, str], list[str]]:
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()
            if re.match(r"\| (sev\d|all) \| ", line)]
    return {(r[0], r[1]): r[2:] for r in rows if r[1] in METRICS}


def test_the_report_numbers_equal_bot_py_stats_for_the_same_period(seeded, clean_db, tmp_path):
    env = {"DATABASE_URL": clean_db}
    shown = run_bot("stats", "--period", "2026-Q4", env=env)
    written = run_bot("report", "--period", "2026-Q4", "--format", "md", "--out", str(tmp_path / "r.md"), env=env)
    assert shown.returncode == 0 and written.returncode == 0, shown.stderr + written.stderr
    text = (tmp_path / "r.md").read_text()
    declared = re.search(r"Incidents declared in 2026-Q4 \(.*?\): (\d+)", shown.stdout).group(1)
    assert f"Incidents declared in 2026-Q4 (2026-10-01 to 2026-12-31 UTC): {declared} " in text
    table, compared = _md_timings(text), 0
    for severity, row in _stats_rows(shown.stdout).items():
        cells = re.findall(r"(\S+) / \S+ \((\d+)\)|(n/a)", " ".join(row[2:]))
        breaches = [int(b) for b in row[-3::2]]  # "1 / 0" → acknowledge, contain
        for metric, (mean, n, missing) in zip(METRICS, cells):
            measured, report_mean, _p90, _target, met = table[(severity, metric)]
            assert (report_mean, measured) == ((mean, n) if not missing else ("n/a", "0")), (severity, metric)
            compared += 1
        for sla, breached in zip(("acknowledge", "contain"), breaches):
            met, judged = map(int, re.search(r"\((\d+)/(\d+)\)", table[(severity, sla)][-1]).groups())
            assert judged - met == breached, (severity, sla)
    assert compared == 10  # sev1 and sev2, five metrics each


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.found.append(dict(attrs))


def test_html_shows_every_chart_as_a_png_file_with_alt_text(seeded, tmp_path):
    from reports import documents

    services, _ = seeded
    written = documents.write(program.build(services, Q4), "html", tmp_path / "q4.html")
    parser = _Images()
    parser.feed(written.document.read_text())
    assert len(parser.found) == 10
    for img in parser.found:
        image = tmp_path / img["src"]
        assert image.read_bytes().startswith(PNG), img["src"]
        assert len(img["alt"]) > 40, img["src"]  # says in words what the chart shows
    times = next(i for i in parser.found if i["src"] == "q4-times.png")
    assert "sev1 contain: mean 2h00m, p90 2h00m, target 4h00m, met 1 of 1" in times["alt"]


@pytest.mark.slow
def test_markdown_links_its_charts_and_pdf_is_a_pdf(seeded, tmp_path):
    from reports import documents

    services, _ = seeded
    report = program.build(services, Q4)
    md = documents.write(report, "md", tmp_path / "q4.md")
    links = re.findall(r"!\[[^\]]+\]\(([^)]+\.png)\)", md.document.read_text())
    assert len(links) == 10 and all((tmp_path / link).read_bytes().startswith(PNG) for link in links)
    assert "| UCAROL | 2 | 1 | 1 |" in md.document.read_text()
    pdf = documents.write(report, "pdf", tmp_path / "q4.pdf")
    assert pdf.document.read_bytes().startswith(b"%PDF")


def test_a_bad_period_is_a_plain_error_not_a_trace(clean_db, tmp_path):
    result = run_bot("report", "--period", "2026-13", "--out", str(tmp_path / "r.html"),
                     env={"DATABASE_URL": clean_db})
    assert result.returncode == 1 and "“2026-13” is not a period: give a quarter like 2026-Q4" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())


def test_stats_with_a_period_counts_only_that_period(seeded):
    services, _ = seeded
    assert stats.build_for(services, parse_period("2026-08")).total.count == 1
    assert stats.build_for(services, parse_period(None, first="2026-11-01", last="2026-11-30")).total.count == 1
