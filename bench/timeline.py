"""How the timeline scales: render a page and export for incidents with 1,000 and 10,000
entries. "export md" is the postmortem document (`bot.py export --format md`, the file
`/incident postmortem` uploads). The cost should grow linearly for the exports and stay flat
for the first page (it reads one page); the last page pays for OFFSET.

    python bench/timeline.py [--database-url URL] [--repeat 5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from core.incidents import postmortem, timeline  # noqa: E402
from composition import build_services  # noqa: E402
from core.settings import load_settings  # noqa: E402
from handlers.incidents import blocks as incident_blocks  # noqa: E402
from store import migrate  # noqa: E402
from store.models import TimelineEntryRow  # noqa: E402

SIZES = (1_000, 10_000)


def make_incident(services, entries: int) -> int:
    """An incident with `entries` timeline entries, inserted in bulk (setup, not measured)."""
    incident, _ = services.incidents.create(
        title=f"Bench incident with {entries} entries", severity="sev2", category="other", declared_by="UBENCH",
        at=services.clock.now(), origin_channel=None, dedup_key=None, timeline_text="declared")
    start = incident.declared_at
    rows = [{"incident_id": incident.id, "at": start + timedelta(seconds=n), "kind": "note", "actor": "UBENCH",
             "text": f"Observation {n}: host i-{n:017x} talked to 203.0.113.{n % 250} | <tag> & co",
             "data": {}} for n in range(entries - 1)]
    with services.db.session() as session:
        for chunk in range(0, len(rows), 2000):
            session.execute(insert(TimelineEntryRow), rows[chunk:chunk + 2000])
    return incident.id


def timed(fn, repeat: int) -> float:
    """Median milliseconds of `repeat` runs."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        services = build_services(load_settings(environ={"DATABASE_URL": url}), auto_migrate=False)
        migrate.upgrade(services.db)
        per_page = incident_blocks.TIMELINE_PER_PAGE
        print(f"database: {url.split('@')[-1]}; median of {args.repeat} runs; page = {per_page} entries")
        print(f"{'entries':>8} {'first page ms':>14} {'last page ms':>13} {'postmortem md ms':>16} {'md KiB':>7} "
              f"{'export json ms':>15}")
        for size in SIZES:
            incident_id = make_incident(services, size)
            last = -(-size // per_page)

            def page(number):
                incident = services.incidents.get(incident_id)
                entries, total = services.incidents.timeline_page(incident_id, page=number, per_page=per_page)
                return incident_blocks.timeline_page(incident, entries, number, total)

            def export(render):
                incident, entries = timeline.load(services, incident_id)
                return render(incident, entries)

            first_ms = timed(lambda: page(1), args.repeat)
            last_ms = timed(lambda: page(last), args.repeat)
            def markdown():
                return postmortem.for_incident(services, services.incidents.get(incident_id))

            md_ms = timed(markdown, args.repeat)
            json_ms = timed(lambda: export(timeline.to_json), args.repeat)
            size_kib = len(markdown().encode()) / 1024
            print(f"{size:>8} {first_ms:>14.1f} {last_ms:>13.1f} {md_ms:>16.1f} {size_kib:>7.0f} {json_ms:>15.1f}")
        services.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
