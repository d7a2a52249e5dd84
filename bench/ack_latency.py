"""How fast does Firebreak acknowledge a slash command, run as in production, next to bare Bolt?

Slack gives a bot 3 s to acknowledge a request; a slow ack shows the user an error and makes
Slack retry. This script runs every part as its own process, as a deployment does:

- the fake Slack Web API (local.fake_slack.FakeSlack on loopback; SLACK_API_URL points at it),
- the web process: `python bot.py serve` (verifies, acks, enqueues; runs no job),
- the worker: `python bot.py worker` (runs the jobs: channel, invites, summary, pin, ...),
- the floor: a bare slack_bolt App whose `/incident` listener only acks, served by the same
  server stack (web.server.RunningServer: waitress, same thread count),
- for the storm scenario, `python bot.py ingest FILE` of 10,000 findings on the same database,
  started again with fresh ids whenever one finishes, until the scenario's rounds are done.

Requests are signed with the signing secret like Slack signs them (local.slack_sender) and sent
at concurrency C in alternating rounds: a round at the floor, a round at the bot, and so on, so
whatever else the machine does falls on both alike. Scenarios:

1. `/incident help` (nothing else going on);
2. `/incident declare` while the declares already sent are being processed by the worker;
3. `/incident help` while a separate process ingests a 10,000-finding storm.

Each prints p50/p99 of the bot and of the floor rounds beside it, and p99 / floor p99 (the
issue's targets: at most 1.5x the floor and under 50 ms). Scenario 2 also gives the CPU time
the web and worker processes spent per declare (utime + stime from /proc/<pid>/stat, read
before the first declare and after the worker finished the last, divided by the number of
declares), and the wall time until every declare was done.

All figures come from one machine whose CPUs the client, the fake Slack and the bot share:
compare, don't quote. Exits 1 on any non-200 response or any declare not done in the end.

    python bench/ack_latency.py [--rounds 20] [--per-round 25] [--concurrency 8] [--database-url URL]
A PostgreSQL database is migrated first; give the bench a database of its own (it leaves
incidents and findings behind).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARMUP = 20
REQUEST_TIMEOUT = 10.0  # seconds, per request
RUN_DEADLINE = 1500.0  # seconds; the whole run exits past this, whatever it is doing
ACK_BUDGET = 3.0  # Slack's limit for an ack
TARGET_RATIO, TARGET_MS = 1.5, 50.0  # issue 12: ack p99 <= 1.5x the floor and < 50 ms
STORM = 10_000


# ---------------------------------------------------------------------- child roles
def role_fake_slack() -> int:
    """The fake Slack Web API in a process of its own; prints where it is, runs until stdin closes."""
    from local.fake_slack import FakeSlack

    fake = FakeSlack(token="xoxb-bench-" + secrets.token_hex(8)).serve("127.0.0.1")
    users = {name: fake.add_user(name) for name in ("alice", "bob")}
    channel = fake.add_channel("general", members=tuple(users.values()))
    for name in ("incidents", "security-triage"):  # local.channels of config/default.yaml
        fake.add_channel(name, members=tuple(users.values()))
    fake.calls = _Discard()  # a bench sends tens of thousands of calls; keep no record of them
    print(json.dumps({"url": fake.url, "api_url": fake.api_url, "token": fake.token, "users": users,
                      "channel": channel}), flush=True)
    sys.stdin.read()
    return 0


class _Discard(list):
    def append(self, _item) -> None:
        pass


def role_floor(secret: str, api_url: str, token: str, threads: int) -> int:
    """Bare Bolt: one `/incident` listener that only acks, on the same waitress stack as serve."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from handlers.app import build_client
    from web.server import RunningServer

    logging.basicConfig(level=logging.WARNING)
    # process_before_response as the bot's App has it (handlers/app.py): the listener runs in the
    # request thread and the response leaves when it returns. Bolt's default instead hands the
    # listener to a thread pool and polls for the ack, which costs several ms more per request.
    bolt_app = App(signing_secret=secret, client=build_client(token, api_url), token_verification_enabled=False,
                   process_before_response=True, logger=logging.getLogger("bench.floor"))

    @bolt_app.command("/incident")
    def _ack_only(ack) -> None:
        ack()

    handler = SlackRequestHandler(bolt_app)
    server = RunningServer(lambda environ, start_response: handler(environ, start_response),
                           "127.0.0.1", 0, threads).start()
    print(json.dumps({"url": server.url}), flush=True)
    sys.stdin.read()
    server.stop()
    return 0


# ---------------------------------------------------------------------- processes
class Child:
    """A subprocess whose first stdout line (JSON, or a log line matched by `ready`) says it is up."""

    def __init__(self, name: str, argv: list[str], env: dict, ready: Callable[[str], dict | None] | None = None,
                 log_dir: Path | None = None, wait: bool = True):
        self.name = name
        self.log = open(log_dir / f"{name}.log", "w") if log_dir else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log if ready is None else subprocess.STDOUT, text=True)
        self.info: dict = {}
        if not wait:
            threading.Thread(target=self._pump, daemon=True).start()
            return
        parse = ready or (lambda line: json.loads(line) if line.startswith("{") else None)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit(f"bench: {name} exited before it was ready (exit {self.proc.wait()})")
            if (found := parse(line)) is not None:
                self.info = found
                break
        else:
            raise SystemExit(f"bench: {name} not ready in 60 s")
        # keep reading its output so a chatty child never blocks on a full pipe
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            if self.log is not subprocess.DEVNULL:
                self.log.write(line)

    def cpu_seconds(self) -> float:
        """utime + stime of the process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _serving(line: str) -> dict | None:
    marker = "serving Slack requests on "
    if marker in line:
        return {"url": line.split(marker, 1)[1].split("/slack/events", 1)[0]}
    return None


# ---------------------------------------------------------------------- measuring
@dataclass
class Rounds:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds
    failures: list[str] = field(default_factory=list)
    sent: int = 0


def fire(pool: ThreadPoolExecutor, run: Rounds, send: Callable[[int], object], indexes: range,
         measured: bool = True) -> None:
    lock = threading.Lock()

    def one(i: int) -> None:
        started = time.perf_counter()
        try:
            reply = send(i)
            problem = None if reply.status == 200 else f"HTTP {reply.status}: {reply.body[:200]!r}"
        except Exception as exc:  # timeouts, refused connections: count them, keep going
            problem = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        with lock:
            run.sent += 1
            if problem:
                run.failures.append(f"{run.name} #{i}: {problem}")
            if measured:
                run.latencies.append(elapsed)

    list(pool.map(one, indexes))


def alternate(pool, floor: Rounds, bot: Rounds, floor_send, bot_send, rounds: int, per_round: int,
              keep_going: Callable[[], bool] = lambda: True) -> int:
    """Warm both up, then floor round, bot round, ... Returns the rounds done."""
    fire(pool, floor, floor_send, range(-WARMUP, 0), measured=False)
    fire(pool, bot, bot_send, range(-WARMUP, 0), measured=False)
    done = 0
    for r in range(rounds):
        if not keep_going():
            break
        indexes = range(r * per_round, (r + 1) * per_round)
        if r % 2:  # alternate who goes first too
            fire(pool, bot, bot_send, indexes)
            fire(pool, floor, floor_send, indexes)
        else:
            fire(pool, floor, floor_send, indexes)
            fire(pool, bot, bot_send, indexes)
        done += 1
    return done


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in ms."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000 if ordered else float("nan")


def storm_file(directory: Path, n: int, nonce: str) -> Path:
    from ingest import mixed_lines  # bench/ingest.py, beside this file

    path = directory / f"storm-{nonce}.jsonl"
    path.write_text("\n".join(line.replace("-bench", f"-storm{nonce}-") for line in mixed_lines(n)) + "\n")
    return path


# ---------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_fake-slack"]:
        return role_fake_slack()
    if argv[:1] == ["_floor"]:
        return role_floor(argv[1], argv[2], argv[3], int(argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds per scenario, each at the floor and the bot")
    parser.add_argument("--per-round", type=int, default=25, help="requests per round")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads of `bot.py worker`")
    parser.add_argument("--storm", type=int, default=STORM, help="findings per ingest in scenario 3")
    parser.add_argument("--database-url", help="default: fresh SQLite file in a temp dir")
    parser.add_argument("--scenarios", default="1,2,3", help="which scenarios to run (default 1,2,3)")
    parser.add_argument("--logs", help="keep the children's logs in this directory")
    args = parser.parse_args(argv)
    if min(args.rounds, args.per_round, args.concurrency, args.worker_threads, args.storm) < 1:
        parser.error("every count must be >= 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    watchdog = threading.Timer(RUN_DEADLINE, lambda: (print(f"bench: gave up after {RUN_DEADLINE:.0f} s",
                                                            file=sys.stderr, flush=True), os._exit(3)))
    watchdog.daemon = True
    watchdog.start()
    with tempfile.TemporaryDirectory(prefix="firebreak-ackbench-") as tmp:
        return run(args, Path(tmp), Path(args.logs) if args.logs else None)


def run(args: argparse.Namespace, tmp: Path, logs: Path | None) -> int:
    from core.settings import load_settings
    from local.slack_sender import SlackSender
    from store import migrate
    from store.db import Database
    from store.jobs import SqlJobRepository

    if logs:
        logs.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    db = Database(url)
    migrate.upgrade(db)
    jobs = SqlJobRepository(db)
    threads = load_settings(environ={}).config.server.threads
    me = [sys.executable, str(Path(__file__).resolve())]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    base.pop("FINDINGS_QUEUE_URL", None)
    base["FIREBREAK_LOG_LEVEL"] = "WARNING"
    children: list[Child] = []
    try:
        fake = Child("fake-slack", [*me, "_fake-slack"], base, log_dir=logs)
        children.append(fake)
        secret = secrets.token_hex(16)
        env = dict(base, SLACK_BOT_TOKEN=fake.info["token"], SLACK_SIGNING_SECRET=secret,
                   SLACK_API_URL=fake.info["api_url"], DATABASE_URL=url, FIREBREAK_LOG_LEVEL="INFO")
        floor_proc = Child("floor", [*me, "_floor", secret, fake.info["api_url"], fake.info["token"], str(threads)],
                           base, log_dir=logs)
        web = Child("web", [sys.executable, "bot.py", "serve", "--host", "127.0.0.1", "--port", "0"], env,
                    ready=_serving, log_dir=logs)
        worker = Child("worker", [sys.executable, "bot.py", "worker", "--threads", str(args.worker_threads)], env,
                       log_dir=logs, wait=False)
        children += [floor_proc, web, worker]
        fake_url = fake.info["url"]
        respond = lambda channel, user: f"{fake_url}/response/{channel}/{user}"  # noqa: E731
        bot = SlackSender(web.info["url"], secret, response_url=respond)
        floor = SlackSender(floor_proc.info["url"], secret, response_url=respond)
        alice, general = fake.info["users"]["alice"], fake.info["channel"]

        def help_on(sender: SlackSender) -> Callable[[int], object]:
            return lambda i: sender.command("/incident", "help", user=alice, channel=general,
                                            channel_name="general", timeout=REQUEST_TIMEOUT)

        nonce = f"{int(time.time()) % 100000:05d}"

        def declare(i: int):
            return bot.command("/incident", f"declare sev3 Bench {nonce} declare {i}", user=alice, channel=general,
                               channel_name="general", timeout=REQUEST_TIMEOUT)

        results: list[tuple[str, Rounds, Rounds, str]] = []
        failures: list[str] = []
        with ThreadPoolExecutor(max_workers=args.concurrency, thread_name_prefix="bench") as pool:
            wanted = set(args.scenarios.split(","))
            if "1" in wanted:  # help, nothing else going on
                f1, b1 = Rounds("floor"), Rounds("/incident help")
                alternate(pool, f1, b1, help_on(floor), help_on(bot), args.rounds, args.per_round)
                results.append(("/incident help", f1, b1, ""))
            if "2" in wanted:  # declare while declares are being processed (and their CPU cost)
                declares_scenario(pool, args, results, failures, floor, help_on, declare, jobs, web, worker, db,
                                  nonce, floor_proc)
            if "3" in wanted:  # help while another process ingests a storm of findings
                storms = Storms(tmp, args.storm, env, logs)
                f3, b3 = Rounds("floor"), Rounds("/incident help")
                try:
                    storms.start()
                    done = alternate(pool, f3, b3, help_on(floor), help_on(bot), args.rounds, args.per_round)
                finally:
                    storms.stop()
                results.append((f"/incident help (while ingesting {args.storm:,})", f3, b3,
                                f"{done} rounds during {storms.started} ingest run(s), {storms.finished} finished; "
                                f"{storms.rate()}"))

        print_report(args, url, results)
        for _, f, b, _ in results:
            failures += f.failures + b.failures
        acks = [v for _, f, b, _ in results for v in f.latencies + b.latencies]
        over = sum(1 for v in acks if v > ACK_BUDGET)
        print(f"acks over Slack's {ACK_BUDGET:.0f} s budget: {over} of {len(acks)}")
        print(f"failures: {len(failures)}")
        for line in failures[:20]:
            print("  " + line)
        return 1 if failures or over else 0
    finally:
        for child in reversed(children):
            child.stop()
        db.dispose()


def declares_scenario(pool, args, results, failures, floor, help_on, declare, jobs, web, worker, db, nonce,
                      floor_proc) -> None:
    eventually_idle(jobs, 120)
    cpu_before = web.cpu_seconds(), worker.cpu_seconds()
    floor_cpu_before = floor_proc.cpu_seconds()
    started = time.perf_counter()
    f2, b2 = Rounds("floor"), Rounds("/incident declare")
    alternate(pool, f2, b2, help_on(floor), declare, args.rounds, args.per_round)
    acked = time.perf_counter() - started
    floor_cpu = floor_proc.cpu_seconds() - floor_cpu_before
    idle = eventually_idle(jobs, 600)
    all_done = time.perf_counter() - started
    web_cpu, worker_cpu = web.cpu_seconds() - cpu_before[0], worker.cpu_seconds() - cpu_before[1]
    declares = b2.sent  # warm-up declares are work too
    declared = count_declared(db, f"Bench {nonce} declare")
    if not idle or declared != declares:
        failures.append(f"declares done: {declared} of {declares} (jobs idle: {idle})")
    note = (f"{declares} declares acked in {acked:.1f} s, all done after {all_done:.1f} s; CPU per declare: "
            f"web {web_cpu * 1000 / declares:.1f} ms + worker {worker_cpu * 1000 / declares:.1f} ms = "
            f"{(web_cpu + worker_cpu) * 1000 / declares:.1f} ms; the floor's CPU per ack: "
            f"{floor_cpu * 1000 / max(1, f2.sent):.1f} ms")
    results.append(("/incident declare (while declares run)", f2, b2, note))


class Storms:
    """`bot.py ingest` of a fresh storm file, again and again, until stopped."""

    def __init__(self, tmp: Path, n: int, env: dict, logs: Path | None):
        self.tmp, self.n, self.env, self.logs = tmp, n, env, logs
        self.started = self.finished = 0
        self.ingest_seconds: list[float] = []
        self._stop = threading.Event()
        self._proc: subprocess.Popen | None = None
        self._files = [storm_file(tmp, n, f"{k}x{int(time.time()) % 100000}") for k in range(2)]
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._first = threading.Event()

    def start(self) -> None:
        self._thread.start()
        self._first.wait(30)
        time.sleep(1.0)  # past the child's imports: measure while it ingests

    def _loop(self) -> None:
        k = 0
        while not self._stop.is_set():
            path = self._files[k % 2] if k < 2 else storm_file(self.tmp, self.n, f"{k}x{int(time.time()) % 100000}")
            k += 1
            out = open(self.logs / f"ingest-{k}.log", "w") if self.logs else subprocess.DEVNULL
            started = time.perf_counter()
            self._proc = subprocess.Popen([sys.executable, "bot.py", "ingest", str(path)], cwd=ROOT, env=self.env,
                                          stdout=out, stderr=subprocess.STDOUT)
            self.started += 1
            self._first.set()
            code = self._proc.wait()
            if code == 0 and not self._stop.is_set():
                self.finished += 1
                self.ingest_seconds.append(time.perf_counter() - started)

    def rate(self) -> str:
        if not self.ingest_seconds:
            return "no ingest finished during the rounds"
        best = min(self.ingest_seconds)
        return f"one ingest process (start to exit, Slack drain included) took {best:.1f} s at best"

    def stop(self) -> None:
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._thread.join(60)


def eventually_idle(jobs, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while jobs.active():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def count_declared(db, prefix: str) -> int:
    from sqlalchemy import func, select

    from store.models import IncidentRow

    with db.read() as session:
        return session.scalar(select(func.count()).select_from(IncidentRow).where(
            IncidentRow.title.like(prefix + "%"), IncidentRow.channel_id.is_not(None)))


def print_report(args, url: str, results) -> None:
    kind = "SQLite (temp file)" if not args.database_url else "PostgreSQL" if "postgres" in url else url
    load = os.getloadavg()
    print(f"database: {kind}; concurrency {args.concurrency}; {args.rounds} alternating rounds of {args.per_round} "
          f"requests per side and scenario (warm-up {WARMUP} excluded); worker threads {args.worker_threads}; "
          f"load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; times in ms, client side")
    print(f"{'scenario':<44}{'n':>6}{'p50':>9}{'p99':>9}{'floor p50':>11}{'floor p99':>11}{'p99/floor':>11}  target")
    for name, floor, bot, _ in results:
        ratio = pct(bot.latencies, 99) / pct(floor.latencies, 99)
        ok = ratio <= TARGET_RATIO and pct(bot.latencies, 99) < TARGET_MS
        print(f"{name:<44}{len(bot.latencies):>6}{pct(bot.latencies, 50):>9.1f}{pct(bot.latencies, 99):>9.1f}"
              f"{pct(floor.latencies, 50):>11.1f}{pct(floor.latencies, 99):>11.1f}{ratio:>11.2f}  "
              f"{'met' if ok else 'MISSED'}")
    for name, _, _, note in results:
        if note:
            print(f"{name}: {note}")


if __name__ == "__main__":
    sys.exit(main())
