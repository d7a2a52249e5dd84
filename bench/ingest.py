"""Findings intake benchmark: prints figures, asserts nothing.

1. Pipeline: 10,000 mixed findings (the project's GuardDuty / Security Hub / CloudTrail fixtures,
   each copy with its ids varied) as JSON lines through normalize + dedup + route + store, in
   findings per second, next to a floor measured in the same run on the same database: JSON
   parse + one bulk INSERT of equivalent rows (same columns and raw documents) with SQLAlchemy
   Core. The ratio says what normalization, dedup, routing and the digest windows cost.
   Pipeline and floor run in alternating rounds (3 by default) and their medians are compared.
2. Storm: the same 10,000 findings in SQS-sized batches of 100 against the fake Slack, with the
   default pacing (1 message per second per channel) and the fake rate-limiting: 429 with
   Retry-After on the first 3 posts and the first 3 edits. Messages sent, 429s, drain time
   (from the first batch until the outbox is empty).

    .venv/bin/python bench/ingest.py                         # SQLite in a temp dir
    .venv/bin/python bench/ingest.py --database-url postgresql://postgres@127.0.0.1:5432/firebreak_bench
A PostgreSQL database is migrated and its findings tables emptied: give the bench its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Column, MetaData, Table, insert, text  # noqa: E402

from composition import build_services  # noqa: E402
from core.findings.normalize import normalize_text  # noqa: E402
from core.findings.intake import receive_one  # noqa: E402
from core.findings.pipeline import ingest  # noqa: E402
from core.settings import load_settings  # noqa: E402
from composition import local_workspace  # noqa: E402
from store import migrate  # noqa: E402
from store.db import Database  # noqa: E402
from store.findings.models import FindingRow  # noqa: E402
from store.findings.rows import values_of  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "core" / "findings" / "fixtures"
TABLES = ("finding_indicators", "findings", "finding_digests", "finding_snoozes", "finding_rejections",
          "finding_cursors", "bench_floor")


def mixed_lines(n: int) -> list[str]:
    """JSON lines holding exactly n findings: fixture documents with every id made unique."""
    templates = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        text = path.read_text()
        result = normalize_text(text)
        if result.findings:
            compact = json.dumps(json.loads(text)) if not text.lstrip().startswith("[") else None
            if compact is not None:
                templates.append((compact, [f.id for f in result.findings]))
    lines, count, copy = [], 0, 0
    while count < n:
        for template, ids in templates:
            if count + len(ids) > n:
                continue
            line = template
            for finding_id in ids:
                line = line.replace(json.dumps(finding_id)[1:-1], f"{finding_id}-bench{copy}")
            lines.append(line)
            count += len(ids)
        copy += 1
    return lines


def reset(db: Database) -> None:
    with db.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}") if table != "bench_floor" else text(
                f"DROP TABLE IF EXISTS {table}"))


def pipeline(url: str, lines: list[str]) -> tuple[int, float]:
    services = build_services(load_settings(environ={"DATABASE_URL": url}), auto_migrate=False)
    started = time.perf_counter()
    summary, _ = receive_one(services, "\n".join(lines), origin="bench")
    elapsed = time.perf_counter() - started
    services.db.dispose()
    return summary.new, elapsed


def floor(db: Database, lines: list[str]) -> tuple[int, float]:
    """JSON parse + bulk insert of rows equivalent to what the pipeline stores."""
    shaped = [values_of(f) for f in normalize_text("\n".join(lines)).findings]  # not timed: only the shape
    table = Table("bench_floor", MetaData(), *(Column(c.name, c.type) for c in FindingRow.__table__.columns
                                               if c.name != "pk"))
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_floor"))
    table.create(db.engine)
    started = time.perf_counter()
    parsed = [json.loads(line) for line in lines]
    rows = [dict(values, finding_id=f"{i}", raw=parsed[i % len(parsed)]) for i, values in enumerate(shaped)]
    with db.engine.begin() as conn:
        conn.execute(insert(table), rows)
    return len(rows), time.perf_counter() - started


def storm(url: str, lines: list[str]) -> dict:
    settings = load_settings(environ={"DATABASE_URL": url})
    ws = local_workspace(settings, threads=4)
    try:
        for method in ("chat.postMessage", "chat.update"):
            ws.fake.rate_limit(method, retry_after=1, times=3)
        findings = normalize_text("\n".join(lines)).findings
        started = time.perf_counter()
        for start in range(0, len(findings), 100):
            ingest(ws.services, findings[start:start + 100])
        stored_at = time.perf_counter() - started
        drained = ws.services.notifier.drain(600)
        elapsed = time.perf_counter() - started
        calls = [c for c in ws.fake.calls if c.method in ("chat.postMessage", "chat.update")]
        with ws.services.db.read() as session:
            stored = session.execute(text("SELECT count(*) FROM findings")).scalar()
            in_digests = session.execute(text("SELECT coalesce(sum(size), 0) FROM finding_digests")).scalar()
            alone = session.execute(text("SELECT count(*) FROM findings WHERE channel IS NOT NULL")).scalar()
        return {"findings": len(findings), "stored": stored, "alone": alone, "in_digests": in_digests,
                "posts": len(ws.fake.messages(ws.settings.config.slack.triage_channel)), "api_calls": len(calls),
                "edits": len(ws.fake.calls_to("chat.update")),
                "ratelimited": ws.services.notifier.sender.outbox.stats["ratelimited"], "stored_seconds": stored_at,
                "drain_seconds": elapsed, "drained": drained}
    finally:
        ws.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--n", type=int, default=10_000, help="findings (default 10000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating pipeline/floor rounds (default 3)")
    parser.add_argument("--no-storm", action="store_true", help="only the pipeline against its floor")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    migrate.upgrade(db)
    reset(db)
    lines = mixed_lines(args.n)
    kind = "PostgreSQL" if db.url.startswith("postgresql") else "SQLite"
    # Alternating rounds (pipeline, floor, pipeline, ...) on an emptied database each time, and
    # the median of each side: on a shared machine the load then falls on both alike.
    runs, floors = [], []
    for _ in range(args.rounds):
        reset(db)
        runs.append(pipeline(url, lines))
        floors.append(floor(db, lines))
    stored, seconds = runs[0][0], statistics.median(s for _, s in runs)
    floor_rows, floor_seconds = floors[0][0], statistics.median(s for _, s in floors)
    print(f"database: {kind}; {len(lines)} documents holding {args.n} findings (GuardDuty, Security Hub, CloudTrail); "
          f"medians of {args.rounds} alternating rounds; load average {os.getloadavg()[0]:.2f}")
    print(f"pipeline (normalize + dedup + route + store): {stored} stored in {seconds:.2f} s = "
          f"{stored / seconds:,.0f} findings/s  (rounds: {', '.join(f'{s:.2f}' for _, s in runs)} s)")
    print(f"floor (JSON parse + bulk INSERT, SQLAlchemy Core): {floor_rows} rows in {floor_seconds:.2f} s = "
          f"{floor_rows / floor_seconds:,.0f} rows/s  (rounds: {', '.join(f'{s:.2f}' for _, s in floors)} s)")
    print(f"ratio: the pipeline takes {seconds / floor_seconds:.1f}x the floor's time, i.e. runs at "
          f"{floor_seconds / seconds:.0%} of the floor's rate (target: at least 50%)")
    reset(db)
    if args.no_storm:
        db.dispose()
        return 0
    figures = storm(url, lines)
    print(f"storm: {figures['findings']} findings in batches of 100 against the fake Slack "
          "(pace 1 message/s/channel; the fake answers the first 3 posts and first 3 edits with 429, Retry-After: 1)")
    print(f"  stored {figures['stored']} ({figures['alone']} with their own message, {figures['in_digests']} "
          f"in digests) in {figures['stored_seconds']:.2f} s")
    print(f"  Slack: {figures['posts']} messages in the channel; {figures['api_calls']} post/edit calls "
          f"({figures['edits']} edits), {figures['ratelimited']} answered 429; drained in {figures['drain_seconds']:.2f} s "
          f"({'all sent' if figures['drained'] else 'NOT drained'})")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
