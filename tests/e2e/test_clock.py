"""Two real `python bot.py clock` processes on one database (PostgreSQL in CI's second
pass, SQLite otherwise) with a 2-second lease: exactly one is active and sends each due
reminder once; when it is killed, the other takes over the persisted jobs and carries on."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from core.clock import ManualClock
from composition import local_workspace
from tests.conftest import REPO
from tests.support.scheduling import declare, posted
from tests.support.slack import eventually

pytestmark = pytest.mark.slow
ALARM = ":alarm_clock:"
CONFIG = """
scheduling:
  sweep_seconds: 1
  lease_seconds: 2
  update_reminder_minutes: {sev1: 30}
"""


class ClockProcess:
    """`python bot.py clock` with its log collected line by line."""

    def __init__(self, env):
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, str(REPO / "bot.py"), "clock"], cwd=REPO, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")), daemon=True).start()

    def said(self, pattern: str) -> list[str]:
        return [m.group(1) for line in list(self.lines) if (m := re.search(pattern, line))]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


@pytest.fixture
def past_workspace(settings):
    """Incidents declared 31 minutes ago by the clock of the workspace, so reminders are due now."""
    clock = ManualClock(datetime.now(timezone.utc) - timedelta(minutes=31))
    ws = local_workspace(settings, clock=clock, threads=2)
    yield ws
    ws.stop()


@pytest.fixture
def clocks(past_workspace, tmp_path):
    config = tmp_path / "clock.yaml"
    config.write_text(CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    env.update({"SLACK_BOT_TOKEN": past_workspace.fake.token, "SLACK_API_URL": past_workspace.fake.api_url,
                "DATABASE_URL": past_workspace.settings.secrets.database_url, "FIREBREAK_CONFIG": str(config),
                "FIREBREAK_LOG_LEVEL": "INFO"})
    started = [ClockProcess(env), ClockProcess(env)]
    yield started
    for process in started:
        process.stop()


def lease_expiry(ws):
    with ws.services.db.engine.connect() as conn:
        return conn.execute(text("SELECT expires_at FROM scheduler_leases WHERE name = 'clock'")).scalar()


def lease_holder(ws) -> str | None:
    with ws.services.db.engine.connect() as conn:
        return conn.execute(text("SELECT holder FROM scheduler_leases WHERE name = 'clock'")).scalar()


def test_one_clock_is_active_and_the_other_takes_over_when_it_dies(past_workspace, clocks):
    ws = past_workspace
    first = declare(ws, "sev1 Miner on build host")
    active = eventually(lambda: [c for c in clocks if c.said(r"clock (\S+): active with \d+ job")], timeout=30)
    eventually(lambda: all(c.said(r"clock (\S+): (?:active|standing by)") for c in clocks), timeout=30)
    eventually(lambda: posted(ws, first, ALARM), timeout=15)
    # A lease and more: the active clock renews twice while the other stands by.
    renewals = [lease_expiry(ws)]
    eventually(lambda: renewals.append(lease_expiry(ws)) or len(set(renewals)) >= 3, timeout=15, interval=0.1)
    [leader] = active
    [standby] = [c for c in clocks if c is not leader]
    assert [c for c in clocks if c.said(r"clock (\S+): active with")] == [leader], "two clocks were active"
    assert lease_holder(ws) == leader.said(r"clock (\S+): active with")[0]
    assert len(posted(ws, first, ALARM)) == 1

    leader.proc.send_signal(signal.SIGKILL)  # dies without handing the lease over
    leader.proc.wait(timeout=10)
    died = time.monotonic()
    second = declare(ws, "sev1 Second incident")
    eventually(lambda: standby.said(r"clock (\S+): active with"), timeout=15)
    took_over = time.monotonic() - died
    eventually(lambda: posted(ws, second, ALARM), timeout=15)
    assert lease_holder(ws) == standby.said(r"clock (\S+): active with")[0]
    assert len(posted(ws, first, ALARM)) == 1  # the new clock knows it was sent
    assert leader.said(r'Added job "(\S+)"') and not standby.said(r'Added job "(\S+)"'), \
        "the jobs the first clock persisted were not picked up as they were"
    assert took_over < 8  # lease (2 s) + one renewal (0.7 s) + start-up, with room for a loaded machine


def test_a_severity_typo_stops_the_clock_with_a_reason(tmp_path):
    config = tmp_path / "typo.yaml"
    config.write_text("scheduling:\n  sla:\n    sev01: {acknowledge_minutes: 15}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_")) and k != "DATABASE_URL"}
    env.update({"FIREBREAK_CONFIG": str(config), "DATABASE_URL": f"sqlite:///{tmp_path / 'clock.db'}"})
    result = subprocess.run([sys.executable, str(REPO / "bot.py"), "clock"], cwd=REPO, env=env, text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "scheduling.sla.sev01: unknown severity" in result.stderr
