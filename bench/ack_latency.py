"""How fast does Firebreak acknowledge a slash command, compared with bare Bolt?

Slack gives a bot 3 s to acknowledge a request, and a slow ack shows the user an error and
makes Slack retry. This script starts the real bot over HTTP (local.workspace.LocalWorkspace:
fake Slack on loopback, waitress, a fresh SQLite database unless --database-url is given),
fires N signed `/incident help` and `/incident declare <title>` requests at concurrency C and
reports the ack latency (send -> HTTP response). For declare it also reports the end-to-end
time (send -> the in-channel message reaching Slack's response_url, after the lazy work).

The floor is a bare slack_bolt App whose `/incident` listener only calls ack(), served by the
same RunningServer (waitress, same thread count) and hit the same way. Reading the figures:
- Firebreak/floor ratios near 1 mean Firebreak adds little to what Bolt + waitress cost anyway;
  the difference is our signature check, argument parsing and Block Kit rendering (acks do not
  touch the database; the retry ledger is written after the ack).
- p95/p99/max show queueing under concurrency; anything over 3000 ms would fail in Slack.
- req/s is measured requests divided by the wall time of the measured batch (client side).
All numbers are from one machine, client and server sharing its CPUs: compare, don't quote.

    python bench/ack_latency.py [--n 500] [--concurrency 8] [--threads 16] [--database-url URL]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402

from core.settings import load_settings  # noqa: E402
from handlers.app import build_client  # noqa: E402
from handlers.server import RunningServer  # noqa: E402
from local.slack_sender import Reply, SlackSender  # noqa: E402
from composition import local_workspace  # noqa: E402
from store import migrate  # noqa: E402
from store.db import Database  # noqa: E402

WARMUP = 20
REQUEST_TIMEOUT = 10.0  # seconds, per request
RUN_DEADLINE = 900.0  # seconds; the whole run exits past this, whatever it is doing
ACK_BUDGET = 3.0  # Slack's limit for an ack


@dataclass
class Run:
    name: str
    n: int
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, measured requests only
    sent_at: dict[int, float] = field(default_factory=dict)  # request index -> time.time()
    wall: float = 0.0
    failures: list[str] = field(default_factory=list)


def fire(name: str, send: Callable[[int], Reply], n: int, concurrency: int, *, warmup: int = WARMUP) -> Run:
    """Send `warmup` then `n` requests (send(i) for i in 0..n-1) from `concurrency` threads."""
    run = Run(name, n, concurrency)
    lock = threading.Lock()

    def one(i: int, measured: bool) -> None:
        sent = time.time()
        started = time.perf_counter()
        try:
            reply = send(i)
            problem = None if reply.status == 200 else f"HTTP {reply.status}: {reply.body[:200]!r}"
        except Exception as exc:  # timeouts, refused connections: count them, keep going
            problem = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        with lock:
            if problem:
                run.failures.append(f"{name}{'' if measured else ' (warm-up)'} #{i}: {problem}")
            if measured:
                run.latencies.append(elapsed)
                run.sent_at[i] = sent

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench") as pool:
        list(pool.map(lambda i: one(-1 - i, False), range(warmup)))
        started = time.perf_counter()
        list(pool.map(lambda i: one(i, True), range(n)))
        run.wall = time.perf_counter() - started
    return run


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in ms."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000 if ordered else float("nan")


def row(name: str, n: int, c: int, values: list[float], rate: float) -> str:
    cells = [pct(values, 50), pct(values, 95), pct(values, 99), max(values, default=float("nan")) * 1000]
    return f"{name:<28}{n:>6}{c:>6}" + "".join(f"{v:>10.1f}" for v in cells) + f"{rate:>10.1f}"


def floor_server(signing_secret: str, token: str, api_url: str, threads: int) -> RunningServer:
    """Bare Bolt: one `/incident` listener that only acks, on the same waitress stack."""
    bolt_app = App(signing_secret=signing_secret, client=build_client(token, api_url),
                   token_verification_enabled=False, logger=logging.getLogger("bench.floor"))

    @bolt_app.command("/incident")
    def _ack_only(ack) -> None:
        ack()

    handler = SlackRequestHandler(bolt_app)
    return RunningServer(lambda environ, start_response: handler(environ, start_response),
                         "127.0.0.1", 0, threads).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="measured requests per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--threads", type=int, default=16, help="server (waitress) threads")
    parser.add_argument("--database-url", help="default: fresh SQLite file in a temp dir")
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1 or args.threads < 1:
        parser.error("--n, --concurrency and --threads must be >= 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    watchdog = threading.Timer(RUN_DEADLINE, lambda: (print(f"bench: gave up after {RUN_DEADLINE:.0f} s",
                                                            file=sys.stderr, flush=True), os._exit(3)))
    watchdog.daemon = True
    watchdog.start()

    with tempfile.TemporaryDirectory(prefix="firebreak-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if not url.startswith("sqlite"):  # LocalWorkspace migrates SQLite only
            db = Database(url)
            migrate.upgrade(db)
            db.dispose()
        ws = local_workspace(load_settings(environ={"DATABASE_URL": url}), threads=args.threads)
        floor = floor_server(ws.sender.signing_secret, ws.fake.token, ws.fake.api_url, args.threads)
        try:
            return report(ws, floor, args, url)
        finally:
            floor.stop()
            ws.stop()


def report(ws, floor: RunningServer, args: argparse.Namespace, url: str) -> int:
    n, c = args.n, args.concurrency
    user, channel = ws.user("alice"), ws.channel("general")
    floor_sender = SlackSender(floor.url, ws.sender.signing_secret, response_url=ws.fake.response_url)
    nonce = f"{int(time.time()) % 100000:05d}"

    def title(i: int) -> str:
        return f"Bench {nonce} declare {i}"

    def help_on(sender: SlackSender) -> Callable[[int], Reply]:
        return lambda i: sender.command("/incident", "help", user=user, channel=channel,
                                        channel_name="general", timeout=REQUEST_TIMEOUT)

    def declare(i: int) -> Reply:
        return ws.sender.command("/incident", f"declare {title(i)}", user=user, channel=channel,
                                 channel_name="general", timeout=REQUEST_TIMEOUT)

    floor_run = fire("floor: bare bolt ack", help_on(floor_sender), n, c)
    help_run = fire("firebreak: /incident help", help_on(ws.sender), n, c)
    declare_run = fire("firebreak: declare (ack)", declare, n, c)

    # End to end: the in-channel announcement reaching response_url, matched by title.
    by_title = {title(i): i for i in declare_run.sent_at}
    wanted = lambda call: call.body.get("text", "").partition("declared: ")[2] in by_title  # noqa: E731
    e2e_problem = ""
    try:
        calls = ws.fake.wait_for("response_url", wanted, count=n, timeout=60 + n * 0.1)
    except AssertionError as exc:
        calls, e2e_problem = ws.fake.calls_to("response_url"), str(exc)
    done = {by_title[t]: call.at for call in calls
            if (t := call.body.get("text", "").partition("declared: ")[2]) in by_title}
    e2e = [done[i] - declare_run.sent_at[i] for i in done]
    e2e_span = (max(done.values()) - min(declare_run.sent_at.values())) if done else float("nan")

    print(f"database: {'SQLite (temp file)' if not args.database_url else url}; server threads "
          f"{args.threads}; warm-up {WARMUP}/scenario excluded; times in ms, client side")
    print(f"{'scenario':<28}{'n':>6}{'conc':>6}{'p50':>10}{'p95':>10}{'p99':>10}{'max':>10}{'req/s':>10}")
    for run in (floor_run, help_run, declare_run):
        print(row(run.name, len(run.latencies), c, run.latencies, len(run.latencies) / run.wall))
    print(row("firebreak: declare (e2e)", len(e2e), c, e2e, len(e2e) / e2e_span if e2e else 0.0))
    for run in (help_run, declare_run):
        print(f"{run.name} / floor: p50 x{pct(run.latencies, 50) / pct(floor_run.latencies, 50):.2f}, "
              f"p95 x{pct(run.latencies, 95) / pct(floor_run.latencies, 95):.2f}")

    acks = floor_run.latencies + help_run.latencies + declare_run.latencies
    over = sum(1 for v in acks if v > ACK_BUDGET)
    print(f"acks over Slack's {ACK_BUDGET:.0f} s budget: {over} of {len(acks)}"
          f" ({'none' if not over else 'SLACK WOULD SHOW AN ERROR AND RETRY'})")
    failures = floor_run.failures + help_run.failures + declare_run.failures
    print(f"non-200 / failed requests: {len(failures)}")
    for line in failures[:20]:
        print("  " + line)
    if len(failures) > 20:
        print(f"  ... and {len(failures) - 20} more")
    if e2e_problem or len(e2e) < n:
        print(f"declares completed end to end: {len(e2e)} of {n} {e2e_problem}")
    return 1 if failures or over or len(e2e) < n else 0


if __name__ == "__main__":
    sys.exit(main())
