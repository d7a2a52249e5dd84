"""The scheduled program-report digest: `reports.schedule` in the team's time zone, posted to
`reports.channel` by the clock exactly once per period even with two clocks sweeping; the
config's mistakes are named with file and line."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import datetime, timedelta, timezone

import pytest

from composition import local_workspace
from composition.clock import clock_runner
from core.clock import ManualClock
from core.errors import ConfigError
from core.reports.config import ReportsConfig
from core.reports.digest import ReportDigest, latest_occurrence
from core.scheduling.delivery import Deliverer
from core.settings import load_config
from store.scheduling.repository import SqlNoticeRepository
from tests.support.reports import seed
from tests.support.scheduling import notices

# 1 December 2026, 09:00 in Berlin is 08:00 UTC.
DUE = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
MONTHLY = {"schedule": {"every": "month", "day": 1, "at": "09:00"}, "time_zone": "Europe/Berlin"}


def with_reports(settings, **values):
    cfg = ReportsConfig.model_validate(values)
    return dataclasses.replace(settings, config=settings.config.model_copy(update={"reports": cfg}))


@pytest.fixture
def ws(settings):
    workspace = local_workspace(settings, clock=ManualClock(DUE - timedelta(minutes=1)), threads=2)
    yield workspace
    workspace.stop()


@pytest.fixture
def services(ws):
    """The workspace's services with the digest scheduled into its #general."""
    return dataclasses.replace(ws.services, settings=with_reports(ws.services.settings,
                                                                  channel=ws.channel("general"), **MONTHLY))


def digest(ws, holder: str) -> ReportDigest:
    return ReportDigest(notices(ws), Deliverer(SqlNoticeRepository(ws.services.db), holder, ws.services.clock))


def reports_posted(ws) -> list:
    return ws.fake.calls_to("files.completeUploadExternal")


def test_two_clocks_post_the_month_just_ended_once_at_nine_in_the_team_time_zone(ws, services):
    seed(services)
    first, second = digest(ws, "clock-a"), digest(ws, "clock-b")
    assert (first(services), second(services)) == (0, 0)  # 08:59 in Berlin: not yet
    services.clock.advance(minutes=1)
    assert first(services) + second(services) == 1
    services.clock.advance(hours=2)
    assert first(services) + second(services) == 0  # the period is delivered: never again
    [posted] = [c for c in ws.fake.calls_to("chat.postMessage") if "program report" in c.body.get("text", "")]
    assert posted.body["channel"] == ws.channel("general") and "2026-11" in posted.body["text"]
    assert len(reports_posted(ws)) == 1


def test_a_digest_long_overdue_is_skipped_rather_than_posted_late(ws, services):
    services.clock.advance(days=4)
    assert digest(ws, "clock-a")(services) == 0 and not reports_posted(ws)


def test_occurrences_follow_the_schedule_and_the_time_zone():
    monthly = ReportsConfig.model_validate({**MONTHLY, "channel": "C0REPORTS"})
    moment, period = latest_occurrence(monthly, DUE)
    assert (moment.astimezone(timezone.utc), period.label) == (DUE, "2026-11")
    assert latest_occurrence(monthly, DUE - timedelta(seconds=1))[1].label == "2026-10"
    quarterly = ReportsConfig.model_validate({"schedule": {"every": "quarter", "day": 2, "at": "07:30"},
                                              "channel": "C0REPORTS"})
    moment, period = latest_occurrence(quarterly, DUE)
    assert (moment, period.label) == (datetime(2026, 10, 2, 7, 30, tzinfo=moment.tzinfo), "2026-Q3")
    assert latest_occurrence(ReportsConfig(), DUE) is None


def test_the_clock_runs_the_digest_only_when_a_schedule_is_set(settings):
    from composition import build_services

    plain = build_services(settings, clock=ManualClock(DUE))
    scheduled = build_services(with_reports(settings, channel="C0REPORTS", **MONTHLY), clock=ManualClock(DUE))
    try:
        assert clock_runner(plain).registry.get(ReportDigest.name) is None
        assert clock_runner(scheduled).registry.get(ReportDigest.name) is not None
    finally:
        plain.drain()
        scheduled.drain()


def test_config_mistakes_name_file_line_and_reason(tmp_path):
    path = tmp_path / "firebreak.yaml"
    path.write_text(textwrap.dedent("""
        reports:
          schedule:
            every: week
            at: "9 o'clock"
          time_zone: Mars/Olympus_Mons
          channel: "#general"
    """))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = "\n".join(caught.value.problems)
    assert f"{path}:4: reports.schedule.every:" in problems and "'month'" in problems
    assert f"{path}:5: reports.schedule.at:" in problems and "HH:MM" in problems
    assert f"{path}:6: reports.time_zone:" in problems and "Mars/Olympus_Mons" in problems
    assert f"{path}:7: reports.channel:" in problems and "C0123ABCD" in problems


def test_a_schedule_without_a_channel_is_refused(tmp_path):
    path = tmp_path / "firebreak.yaml"
    path.write_text("reports:\n  schedule: {every: month}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:1: reports:") and "channel" in problem
