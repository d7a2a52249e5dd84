"""Scale-out benchmark (issue 26): prints figures, asserts nothing.

On PostgreSQL, with N = 1, 2 and 4 `bot.py worker` processes (and 1 or 2 `bot.py serve`
replicas for the HTTP intake), against a moto server (SQS, a process of its own) and the fake
Slack (in this process, so every call it answers is recorded with its time):

1. SQS storm: M GuardDuty EventBridge events (medium severity, one finding each, routed to
   four channels) queued first; then the workers start. Findings stored per second (from the
   first stored to the last), next to the queue's own floor: a bare boto3 receive-and-delete
   loop over the same number of messages on the same moto server.
2. HTTP storm: the same events POSTed to /intake/eventbridge (8 at a time, spread over the
   web replicas), with 1 web + 1 worker and 2 web + 2 workers: findings stored per second.

For each run: seconds until Slack shows every finding (its own message or a digest), the
most messages (posts and edits) any channel got in one second, the most calls of one method
in any 60 seconds, and the 429s: the fake Slack answers 429 (Retry-After: 1) to a message in
a channel that got one less than a second before, as Slack may.

    .venv/bin/python bench/scale.py --database-url postgresql://postgres@127.0.0.1:5432/firebreak_scale
    .venv/bin/python bench/scale.py --findings 200 --workers 1 2     # a short run

The database is migrated and emptied before each run: give the bench its own.
3. Declare storm: D `/incident declare` signed like Slack's, 8 in flight, over 1 web + 1
   worker, then 2 web replicas with 2 and 4 workers: ack time, and time until the summary is
   pinned in the new channel, p50 and p99.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib import request as urlrequest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from sqlalchemy import MetaData, text  # noqa: E402

from local.fake_slack import FakeSlack  # noqa: E402
from store import migrate  # noqa: E402
from store.db import Database  # noqa: E402

TEMPLATE = ROOT / "tests" / "core" / "findings" / "fixtures" / "guardduty" / "gd_eventbridge_s3_exfiltration.json"
ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")
CHANNELS = ("security-triage", "sec-2", "sec-3", "sec-4")
SECRET = "bench-intake-" + secrets.token_hex(8)
MESSAGE_METHODS = ("chat.postMessage", "chat.update")


# ---------------------------------------------------------------------- the surroundings
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def events(n: int, nonce: str) -> list[str]:
    """n EventBridge GuardDuty events, one finding each, ids unique, spread over ACCOUNTS."""
    template = json.loads(TEMPLATE.read_text())
    out = []
    for k in range(n):
        detail = dict(template["detail"], id=f"bench-{nonce}-{k}", accountId=ACCOUNTS[k % len(ACCOUNTS)],
                      severity=5.0, title=f"bench finding {k}")
        out.append(json.dumps(dict(template, id=f"evt-{nonce}-{k}", account=detail["accountId"], detail=detail)))
    return out


def config_file(directory: Path) -> Path:
    routes = [{"name": f"acct-{n}", "match": {"account": [account]}, "action": "post", "channel": channel}
              for n, (account, channel) in enumerate(zip(ACCOUNTS[1:], CHANNELS[1:]), start=2)]
    path = directory / "scale.yaml"
    path.write_text(json.dumps({"findings": {"routes": routes}}))  # JSON is YAML
    return path


class SlackLimits:
    """The fake Slack, answering 429 (Retry-After: 1) to a message in a channel that got one
    less than a second before; counts what it refused."""

    def __init__(self) -> None:
        self.fake = FakeSlack(token="xoxb-scale-" + secrets.token_hex(6)).serve("127.0.0.1")
        for name in (*CHANNELS, "incidents"):  # incidents: slack.announce_channel
            self.fake.add_channel(name)
        self.refused = 0
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        handle = self.fake.handle

        def limited(path: str, headers: dict, raw: bytes):
            method = path.split("?")[0].removeprefix("/api/")
            if method in MESSAGE_METHODS:
                channel = (re.search(rb'"channel":\s*"([^"]+)"', raw) or [b"", b"?"])[1].decode()
                channel = self.fake.channel_id(channel) or channel
                with self._lock:
                    now = time.time()
                    if now - self._last.get(channel, 0.0) < 1.0:
                        self.refused += 1
                        return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
                    self._last[channel] = now
            return handle(path, headers, raw)

        self.fake.handle = limited

    def reset(self) -> None:
        with self._lock:
            self.fake.calls.clear()
            self.refused, self._last = 0, {}


class Moto:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urlrequest.urlopen(self.url + "/moto-api/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("bench: moto_server did not start")

    def sqs(self):
        return boto3.client("sqs", region_name="us-east-1", endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def fill(sqs, queue_url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[start:start + 10])])


def empty(db: Database) -> None:
    metadata = MetaData()
    metadata.reflect(db.engine)
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(text(f'DELETE FROM "{table.name}"'))


# ---------------------------------------------------------------------- measuring
def stored(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM findings")).scalar() or 0


def unshown(db: Database) -> int:
    with db.engine.connect() as conn:
        findings = conn.execute(text("SELECT count(*) FROM findings WHERE channel IS NOT NULL "
                                     "AND slack_revision < revision")).scalar()
        digests = conn.execute(text("SELECT count(*) FROM finding_digests WHERE size > 0 "
                                    "AND slack_revision < revision")).scalar()
    return (findings or 0) + (digests or 0)


def watch(db: Database, total: int, timeout: float) -> tuple[float, float, float]:
    """(first stored, all stored, all shown) as time.time() values (nan if not in time)."""
    first = all_stored = all_shown = float("nan")
    deadline = time.time() + timeout
    while time.time() < deadline:
        count = stored(db)
        now = time.time()
        if count and first != first:
            first = now
        if count >= total and all_stored != all_stored:
            all_stored = now
        if all_stored == all_stored and unshown(db) == 0:
            all_shown = time.time()
            break
        time.sleep(0.05)
    return first, all_stored, all_shown


def slack_figures(fake: FakeSlack) -> tuple[int, int]:
    """(most messages a channel got in one second, most calls of one method in any 60 s)."""
    calls = list(fake.calls)
    per_second = Counter((fake.channel_id(c.body.get("channel", "")), int(c.at)) for c in calls
                         if c.method in MESSAGE_METHODS)
    by_method = defaultdict(list)
    for c in calls:
        by_method[c.method].append(c.at)
    per_minute = 0
    for times in by_method.values():
        times.sort()
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= 60:
                start += 1
            per_minute = max(per_minute, end - start + 1)
    return max(per_second.values(), default=0), per_minute


# ---------------------------------------------------------------------- the processes
def bot(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "bot.py"), *args], cwd=ROOT, env=env,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT, text=True)


def serve(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = bot(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urlrequest.urlopen(url + "/healthz", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench: serve did not start (see {log})")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (Linux /proc); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (0 if not visible)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if "(postgres)" in stat.read_text().split(" ", 2)[1]:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, IndexError):
            continue
    return total


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def post(url: str, body: str) -> int:
    req = urlrequest.Request(url + "/intake/eventbridge", data=body.encode(), method="POST",
                             headers={"Content-Type": "application/json", "X-Firebreak-Intake-Secret": SECRET})
    with urlrequest.urlopen(req, timeout=30) as answer:
        return answer.status


# ---------------------------------------------------------------------- the runs
def floor(moto: Moto, n: int) -> float:
    """A bare boto3 consumer: receive 10, delete 10, until n messages are gone; messages/s."""
    sqs = moto.sqs()
    url = sqs.create_queue(QueueName=f"floor-{secrets.token_hex(4)}")["QueueUrl"]
    fill(sqs, url, events(n, "floor"))
    done, started = 0, time.time()
    while done < n:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if got:
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]}
                                                           for k, m in enumerate(got)])
            done += len(got)
    return n / (time.time() - started)


def run(kind: str, workers: int, webs: int, n: int, ctx: dict) -> dict:
    db, slack, moto, env, logs = ctx["db"], ctx["slack"], ctx["moto"], dict(ctx["env"]), ctx["logs"]
    empty(db)
    slack.reset()
    nonce = secrets.token_hex(3)
    bodies = events(n, nonce)
    procs: list[subprocess.Popen] = []
    if kind == "sqs":
        sqs = moto.sqs()
        env["FINDINGS_QUEUE_URL"] = sqs.create_queue(QueueName=f"scale-{nonce}")["QueueUrl"]
        fill(sqs, env["FINDINGS_QUEUE_URL"], bodies)
    log = logs / f"{kind}-{workers}w-{webs}web.log"
    procs += [bot(["worker"], env, log) for _ in range(workers)]
    webs_procs: list[subprocess.Popen] = []
    cpu_before = (sum(os.times()[:2]), postgres_cpu(), cpu_seconds(moto.proc.pid))
    try:
        if kind == "http":
            urls = []
            for _ in range(webs):
                proc, url = serve(env, log)
                procs.append(proc)
                webs_procs.append(proc)
                urls.append(url)
            watcher = ThreadPoolExecutor(1).submit(watch, db, n, ctx["timeout"])
            with ThreadPoolExecutor(8) as pool:
                statuses = Counter(pool.map(lambda k: post(urls[k % len(urls)], bodies[k]), range(n)))
            if set(statuses) != {200}:
                print(f"  (intake answers: {dict(statuses)})")
            first, all_stored, all_shown = watcher.result()
        else:
            first, all_stored, all_shown = watch(db, n, ctx["timeout"])
        cpu = {"web": sum(cpu_seconds(p.pid) for p in webs_procs),
               "workers": sum(cpu_seconds(p.pid) for p in procs if p not in webs_procs),
               "bench": sum(os.times()[:2]) - cpu_before[0], "postgres": postgres_cpu() - cpu_before[1],
               "moto": cpu_seconds(moto.proc.pid) - cpu_before[2]}
    finally:
        stop(procs)
    per_second, per_minute = slack_figures(slack.fake)
    rate = (n - 1) / (all_stored - first) if all_stored > first else float("nan")
    return {"kind": kind, "workers": workers, "webs": webs, "rate": rate, "shown": all_shown - first,
            "per_second": per_second, "per_minute": per_minute, "refused": slack.refused,
            "cpu": cpu, "wall": all_shown - first}


def declares(workers: int, webs: int, n: int, ctx: dict) -> dict:
    """n `/incident declare` at once over the web replicas: ack time, and time until the
    incident's summary is pinned in its new channel; p50 and p99 of each, in seconds."""
    from local.slack_sender import SlackSender

    db, slack, env = ctx["db"], ctx["slack"], dict(ctx["env"])
    empty(db)
    slack.reset()
    log = ctx["logs"] / f"declare-{workers}w-{webs}web.log"
    procs = [bot(["worker"], env, log) for _ in range(workers)]
    senders = []
    for _ in range(webs):
        proc, url = serve(env, log)
        procs.append(proc)
        senders.append(SlackSender(url, env["SLACK_SIGNING_SECRET"], response_url=slack.fake.response_url))
    sent: dict[str, float] = {}
    acks: list[float] = []

    def declare(k: int) -> None:
        title = f"scale declare {k:04d}"
        sent[f"{k:04d}"] = time.time()
        reply = senders[k % webs].command("/incident", f"declare sev3 {title}", user=ctx["user"],
                                          channel=ctx["general"])
        acks.append(time.time() - sent[f"{k:04d}"])
        assert reply.status == 200, reply.status

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(declare, range(n)))
        pinned: dict[str, float] = {}
        deadline = time.time() + ctx["timeout"]
        while len(pinned) < n and time.time() < deadline:
            names = {c.body.get("channel"): c.body.get("name", "") for c in slack.fake.calls_to("conversations.create")}
            ids = {cid: ch.name for cid, ch in list(slack.fake.channels.items())}
            for call in slack.fake.calls_to("pins.add"):
                name = ids.get(call.body.get("channel"), names.get(call.body.get("channel"), ""))
                found = re.search(r"scale-declare-(\d{4})", name)
                if found and found.group(1) not in pinned:
                    pinned[found.group(1)] = call.at - sent[found.group(1)]
            time.sleep(0.2)
    finally:
        stop(procs)
    waits = sorted(pinned.values())
    return {"workers": workers, "webs": webs, "n": n, "pinned": len(waits),
            "ack50": pct(sorted(acks), 50), "ack99": pct(sorted(acks), 99),
            "pin50": pct(waits, 50), "pin99": pct(waits, 99), "refused": slack.refused}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/firebreak_scale")
    parser.add_argument("--findings", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--declares", type=int, default=20, help="declares per run (0: none)")
    args = parser.parse_args(argv)
    if args.database_url.startswith("sqlite"):
        raise SystemExit("bench: scale-out needs PostgreSQL (--database-url postgresql://...)")
    db = Database(args.database_url)
    migrate.upgrade(db)
    slack, moto = SlackLimits(), Moto()
    tmp = Path(tempfile.mkdtemp(prefix="firebreak-scale-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_", "AWS_"))}
    env.update({"SLACK_BOT_TOKEN": slack.fake.token, "SLACK_SIGNING_SECRET": secrets.token_hex(16),
                "SLACK_API_URL": slack.fake.api_url, "DATABASE_URL": args.database_url,
                "FIREBREAK_CONFIG": str(config_file(tmp)), "FIREBREAK_INTAKE_SECRET": SECRET,
                "AWS_ENDPOINT_URL": moto.url, "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    user = slack.fake.add_user("alice")
    ctx = dict(db=db, slack=slack, moto=moto, env=env, logs=tmp, timeout=args.timeout, user=user,
               general=slack.fake.add_channel("general", members=(user,)))
    print(f"uptime: {os.popen('uptime').read().strip()}   logs: {tmp}")
    try:
        queue_floor = floor(moto, args.findings)
        rows = [run("sqs", n, 0, args.findings, ctx) for n in args.workers]
        rows += [run("http", n, n, args.findings, ctx) for n in (1, 2)]
        declared = [declares(n, 1 if n == 1 else 2, args.declares, ctx) for n in args.workers] if args.declares else []
    finally:
        moto.stop()
        slack.fake.stop()
        db.dispose()
    print_table(args, queue_floor, rows)
    print_declares(declared)
    print(f"uptime: {os.popen('uptime').read().strip()}")
    return 0


def print_table(args, queue_floor: float, rows: list[dict]) -> None:
    print(f"\n{args.findings} findings per run, PostgreSQL, moto server; bare boto3 SQS floor: "
          f"{queue_floor:.0f} messages/s")
    print("| intake | web | workers | findings/s | vs floor | all shown (s) | max msgs/channel/s "
          "| max calls/method/min | 429s |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = {}
    for row in rows:
        base.setdefault(row["kind"], row["rate"])
        versus = f"{row['rate'] / queue_floor:.2f}x floor" if row["kind"] == "sqs" else \
            f"{row['rate'] / base['http']:.2f}x 1+1"
        print(f"| {row['kind']} | {row['webs'] or '-'} | {row['workers']} | {row['rate']:.0f} | {versus} "
              f"| {row['shown']:.1f} | {row['per_second']} | {row['per_minute']} | {row['refused']} |")
    print("\nCPU seconds per run (web replicas, workers incl. start-up, this process = client + fake Slack, "
          "PostgreSQL, moto):")
    for row in rows:
        cpu = row["cpu"]
        print(f"  {row['kind']} {row['webs'] or '-'} web / {row['workers']} workers: web {cpu['web']:.1f}, "
              f"workers {cpu['workers']:.1f}, bench {cpu['bench']:.1f}, postgres {cpu['postgres']:.1f}, "
              f"moto {cpu['moto']:.1f} "
              f"(in {row['wall']:.1f} s of wall time on {os.cpu_count()} CPUs)")


def print_declares(rows: list[dict]) -> None:
    if not rows:
        return
    print(f"\n{rows[0]['n']} declares at once (8 in flight): ack and pinned summary, seconds")
    print("| web | workers | ack p50 | ack p99 | pinned p50 | pinned p99 | pinned | 429s |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['webs']} | {row['workers']} | {row['ack50']:.3f} | {row['ack99']:.3f} | {row['pin50']:.1f} "
              f"| {row['pin99']:.1f} | {row['pinned']}/{row['n']} | {row['refused']} |")


if __name__ == "__main__":
    sys.exit(main())
