"""The browser view's latency over HTTP (waitress, as `serve` runs it), in the local
workspace: the incident list with 200 incidents, an incident's first and last timeline page
with 10,000 entries, the report page (its nine charts drawn once, then kept), and adding a
note (the change, the ledger row and the post to the fake Slack). Prints p50 and p99 of
each, in ms.

    python bench/browser_view.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from composition import local_workspace  # noqa: E402
from core.incidents import service as incidents  # noqa: E402
from core.settings import load_settings  # noqa: E402
from store.models import TimelineEntryRow  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(ws, count: int, entries: int) -> int:
    """`count` incidents; the last has `entries` timeline entries (bulk insert, not measured)."""
    alice = ws.user("alice")
    for n in range(count):
        last = incidents.declare(ws.services, title=f"Bench incident {n}", declared_by=alice, severity="sev3").incident
    rows = [{"incident_id": last.id, "at": last.declared_at + timedelta(seconds=n), "kind": "note", "actor": alice,
             "text": f"entry {n}", "data": {}} for n in range(entries)]
    with ws.services.db.session() as session:
        session.execute(insert(TimelineEntryRow), rows)
    return last.id


def timed(call, repeat: int) -> tuple[float, float]:
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = call()
        spent.append((time.perf_counter() - started) * 1000)
        assert answer.status_code in (200, 302), answer.status_code
    spent.sort()
    return statistics.median(spent), spent[min(len(spent) - 1, round(0.99 * (len(spent) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(environ={"DATABASE_URL": f"sqlite:///{tmp}/bench.db"})
        ws = local_workspace(settings, threads=4)
        try:
            incident = seed(ws, 200, 10_000)
            browser = requests.Session()
            token = TOKEN.search(browser.get(f"{ws.url}/ui/login").text).group(1)
            browser.post(f"{ws.url}/ui/login", data={"person": "alice", "csrf_token": token})
            page = f"{ws.url}/ui/incidents/{incident}"
            form = TOKEN.search(browser.get(page).text).group(1)
            cases = {
                "incident list (200 incidents)": lambda: browser.get(f"{ws.url}/ui/incidents"),
                "incident page, first timeline page (10,000 entries)": lambda: browser.get(page),
                "incident page, last timeline page": lambda: browser.get(f"{page}?page=200"),
                "report page (charts kept after the first)": lambda: browser.get(f"{ws.url}/ui/report"),
                "add a note (posted to the channel)": lambda: browser.post(
                    f"{page}/note", data={"text": "bench note", "csrf_token": form}, allow_redirects=False),
            }
            first = time.perf_counter()
            browser.get(f"{ws.url}/ui/report")
            print(f"report page, first (builds the report, draws 9 charts): {(time.perf_counter() - first) * 1000:.0f} ms")
            for name, call in cases.items():
                p50, p99 = timed(call, args.repeat)
                print(f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        finally:
            ws.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
