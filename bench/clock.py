"""The clock process with many open incidents: how many jobs it persists, its memory (RSS),
and how long each sweep takes, the first time (reminders due for every incident with a
cadence) and once nothing is due. Jobs are sweeps, so their number does not grow with
incidents; the sweep time does.

    python bench/clock.py [--incidents 1000] [--database-url URL]

Incidents are declared 4 h 05 min ago, spread over sev1-sev4 with the shipped defaults:
sev1-3 owe a status-update reminder and sev1 breached its 4-hour containment SLA. Each has
a channel in an in-process fake Slack; `python bot.py clock` runs as a subprocess with a
2-second sweep, exactly as in production otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from local.fake_slack import FakeSlack  # noqa: E402
from store import migrate  # noqa: E402
from store.db import Database  # noqa: E402
from store.incidents.repository import SqlIncidentRepository  # noqa: E402

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
SWEEP = re.compile(r"sweep (\S+): (\d+) in ([\d.]+) s")
CONFIG = "scheduling:\n  sweep_seconds: 2\n  lease_seconds: 10\n"


def seed(db: Database, fake: FakeSlack, count: int) -> None:
    store, at = SqlIncidentRepository(db), datetime.now(timezone.utc) - timedelta(hours=4, minutes=5)
    for n in range(count):
        incident, _ = store.create(title=f"Bench incident {n}", severity=SEVERITIES[n % 4], category="other",
                                   declared_by="UBENCH", at=at, origin_channel=None, dedup_key=None,
                                   timeline_text="declared", roles={"commander": "UBENCH"})
        store.set_fields(incident.id, channel_id=fake.add_channel(f"inc-{incident.id:04d}"))


def rss_kib(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    return tuple(int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) for field in ("VmRSS", "VmHWM"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="firebreak-clock-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    db = Database(url)
    migrate.upgrade(db)
    fake = FakeSlack().serve()
    seed(db, fake, args.incidents)
    (workdir / "clock.yaml").write_text(CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    env.update(SLACK_BOT_TOKEN=fake.token, SLACK_API_URL=fake.api_url, DATABASE_URL=url,
               FIREBREAK_CONFIG=str(workdir / "clock.yaml"), FIREBREAK_LOG_LEVEL="DEBUG")
    proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "clock"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    runs: dict[str, list[tuple[int, float]]] = {}
    threading.Thread(target=lambda: [runs.setdefault(m.group(1), []).append((int(m.group(2)), float(m.group(3))))
                                     for line in iter(proc.stdout.readline, "") if (m := SWEEP.search(line))],
                     daemon=True).start()
    try:
        deadline = time.monotonic() + 600
        while not all(len(runs.get(n, [])) >= 3 for n in ("update-reminders", "sla-escalations")):
            if proc.poll() is not None or time.monotonic() > deadline:
                print("the clock stopped or never finished its sweeps", file=sys.stderr)
                return 1
            time.sleep(0.2)
        rss, peak = rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        fake.stop()
    with db.engine.connect() as conn:
        jobs = conn.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id")).scalars().all()
        sent = dict(conn.execute(text("SELECT substr(key, 1, 3), count(*) FROM scheduled_notices "
                                      "WHERE state = 'sent' GROUP BY substr(key, 1, 3)")).all())
    db.dispose()
    print(f"clock process, {args.incidents} open incidents, {db.engine.url.get_backend_name()}:")
    print(f"  jobs persisted: {len(jobs)} ({', '.join(jobs)})")
    print(f"  RSS after the sweeps: {rss / 1024:.1f} MiB (peak {peak / 1024:.1f} MiB)")
    print(f"  delivered: {sent.get('rem', 0)} reminders, {sent.get('sla', 0)} escalation effects "
          "(timeline entry + Slack message per breach)")
    for name, samples in sorted(runs.items()):
        first, later = samples[0], samples[1:]
        print(f"  sweep {name}: first {first[1]:.3f} s ({first[0]} handled), then "
              f"{min(s for _, s in later):.3f}-{max(s for _, s in later):.3f} s ({len(later)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
