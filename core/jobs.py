"""Durable jobs: the work that follows Slack's ack, kept in the database until it is done.

The web process commits a job (keyed by the Slack act's natural key, so a retry adds
nothing) before it acks; workers claim jobs under a lease, run them, and mark them done.
A worker that dies leaves its lease to expire and the next worker runs the job again, so
the work must be idempotent (timeline entries and declarations are keyed by the act).

How a job ends is decided by what its work raises:
  nothing, or a domain error already answered to the user  -> done
  RetryLater (Slack 5xx, connection trouble, AWS throttling) -> queued again after an
      exponential backoff with full jitter, dead after `max_attempts`
  anything else (JobFailed or a bug)                        -> dead at once (a dead letter that
      `bot.py jobs list --failed` shows and `bot.py jobs retry ID` queues again)

Queue time is the system's UTC time, never the bot's (movable) clock: leases and backoff
are about processes, not about incidents."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from core.integrity import Seal

log = logging.getLogger("firebreak.jobs")

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Job:
    id: int
    key: str
    route: str
    payload: dict
    state: str
    attempts: int
    run_after: datetime
    locked_by: str | None = None
    locked_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    mac: str | None = None  # the seal made at enqueue (core/integrity.py); None without a key


def sealed_body(key: str, route: str, payload: dict) -> dict:
    """What a job's MAC covers: its natural key (what its work is keyed by), route and payload."""
    return {"key": key[:200], "route": route[:200], "payload": payload}


class RetryLater(Exception):
    """The work failed in a way worth trying again (the platform was unavailable)."""


class JobFailed(Exception):
    """The work failed for good; the job becomes a dead letter at once."""


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 5
    backoff_seconds: float = 2.0  # first retry after up to this long, doubling each time
    backoff_cap_seconds: float = 300.0
    lease_seconds: float = 60.0  # renewed every third of it while the job runs
    poll_seconds: float = 1.0  # how long an idle worker sleeps when nothing wakes it
    retention: timedelta = timedelta(days=7)  # finished jobs are kept this long (Slack retries, inspection)

    def backoff(self, attempts: int) -> timedelta:
        """Full jitter: uniformly up to base * 2^(attempts-1), capped."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_seconds * (2 ** max(0, attempts - 1)))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


class JobQueue(Protocol):
    """What workers need from the jobs table (implemented in store/jobs.py)."""

    def enqueue(self, *, key: str, route: str, payload: dict, at: datetime) -> bool: ...

    def claim(self, holder: str, *, now: datetime, lease: timedelta) -> Job | None: ...

    def extend(self, job_id: int, holder: str, until: datetime) -> bool: ...

    def finish(self, job_id: int, holder: str, *, at: datetime) -> bool: ...

    def fail(self, job_id: int, holder: str, *, error: str, at: datetime, retry_at: datetime | None) -> str | None: ...

    def active(self) -> int: ...

    def wait(self, timeout: float) -> None: ...

    def wake(self) -> None:
        """Wake the workers waiting in this process (a job was queued, or they must stop)."""

    def forget_before(self, cutoff: datetime) -> int: ...

    def release(self, job_id: int, holder: str, *, at: datetime) -> bool:
        """Hand a running job back (its worker is stopping): queued again for `at`, for any
        worker at once, not after its lease, the interrupted attempt not counted; False when
        `holder` no longer holds it."""


def refuse_forged(job: Job, seal: Seal, audit: Callable[[dict], object]) -> None:
    """A job whose MAC does not verify (a row a database writer inserted or edited, or one
    queued without the key) is refused before anything reads its command: the refusal goes
    on the audit chain and the job becomes a dead letter; nobody is answered, since the
    row's reply address is as untrusted as the rest of it."""
    if seal.holds(sealed_body(job.key, job.route, job.payload), job.mac):
        return
    why = "it has no MAC" if not job.mac else "its MAC does not verify"
    audit({"event": "job-refused", "job": job.id, "route": job.route[:200], "key": job.key[:200],
           "reason": f"{why}: not written by Firebreak with FIREBREAK_AUDIT_KEY"})
    raise JobFailed(f"job {job.id} refused: {why} (a row not written by Firebreak with its key); "
                    "the refusal is on the audit chain")


Execute = Callable[[Job, bool], Any]  # (job, final attempt?) -> anything; raises to fail


def run_one(queue: JobQueue, execute: Execute, holder: str, policy: Policy = Policy(),
            now: Callable[[], datetime] = utcnow, in_hand: Callable[[Job | None, str], None] | None = None
            ) -> Job | None:
    """Claim one job and run it to its end state; the job, or None when none was ready.
    `in_hand` hears (job, token) when the job is claimed and (None, token) when it ended, so
    a stopping worker knows what to hand back (Worker.stop)."""
    lease = timedelta(seconds=policy.lease_seconds)
    job = queue.claim(holder, now=now(), lease=lease)
    if job is None:
        return None
    token = job.locked_by or holder  # this claim's token: later writes about the job need it
    if in_hand is None:
        return _run_claimed(queue, execute, job, token, policy, now)
    in_hand(job, token)
    try:
        return _run_claimed(queue, execute, job, token, policy, now)
    finally:
        in_hand(None, token)


def _run_claimed(queue: JobQueue, execute: Execute, job: Job, token: str, policy: Policy,
                 now: Callable[[], datetime]) -> Job:
    lease = timedelta(seconds=policy.lease_seconds)
    if job.attempts > policy.max_attempts:  # its worker died on the last attempt
        queue.fail(job.id, token, error="its worker stopped during the last attempt", at=now(), retry_at=None)
        log.error("job %s (%s) is dead: its worker stopped during the last attempt", job.id, job.route)
        return job
    renewer = _Renewer(queue, job.id, token, lease, now)
    try:
        execute(job, job.attempts >= policy.max_attempts)
    except RetryLater as exc:
        renewer.stop()
        retry_at = None if job.attempts >= policy.max_attempts else now() + policy.backoff(job.attempts)
        state = queue.fail(job.id, token, error=_describe(exc), at=now(), retry_at=retry_at)
        log.warning("job %s (%s) attempt %d failed (%s): %s", job.id, job.route, job.attempts, exc, state)
    except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, never kills the worker
        renewer.stop()
        queue.fail(job.id, token, error=_describe(exc), at=now(), retry_at=None)
        log.error("job %s (%s) failed for good", job.id, job.route, exc_info=not isinstance(exc, JobFailed))
    else:
        renewer.stop()
        if not queue.finish(job.id, token, at=now()):
            log.warning("job %s (%s) finished after its lease was lost", job.id, job.route)
    return job


def _describe(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    text = f"{type(exc).__name__}: {exc}"
    if cause is not None and not isinstance(exc, JobFailed):
        text += f" (from {type(cause).__name__}: {cause})"
    return text[:2000]


class _Renewer:
    """Keeps a running job's lease alive while this process lives."""

    def __init__(self, queue: JobQueue, job_id: int, holder: str, lease: timedelta, now: Callable[[], datetime]):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(queue, job_id, holder, lease, now),
                                        name=f"job-lease-{job_id}", daemon=True)
        self._thread.start()

    def _run(self, queue, job_id, holder, lease, now) -> None:
        while not self._stop.wait(lease.total_seconds() / 3):
            try:
                if not queue.extend(job_id, holder, now() + lease):
                    return
            except Exception:  # noqa: BLE001 - try again next tick; the lease may lapse
                log.warning("could not renew the lease of job %s", job_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()


STOP_GRACE_SECONDS = 6.0  # a stopping worker's jobs may finish this long; the rest are handed back


class Worker:
    """Runs jobs in `threads` threads until `stop` is set; the jobs in hand finish first, for
    up to a grace period, and those still running then are handed back to the queue."""

    def __init__(self, queue: JobQueue, execute: Execute, holder: str, *, threads: int = 2,
                 policy: Policy = Policy(), now: Callable[[], datetime] = utcnow):
        self.queue, self.execute, self.holder = queue, execute, holder
        self.threads, self.policy, self.now = threads, policy, now
        self._stop = threading.Event()
        self._running: list[threading.Thread] = []
        self._last_prune = 0.0
        self._in_hand: dict[str, int] = {}  # claim token -> job id, while the job runs
        self._hand_lock = threading.Lock()

    def start(self) -> "Worker":
        for n in range(self.threads):
            thread = threading.Thread(target=self.loop, args=(f"{self.holder}/{n}",), name=f"firebreak-job-{n}",
                                      daemon=True)
            thread.start()
            self._running.append(thread)
        return self

    def loop(self, holder: str, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        while not stop.is_set():
            try:
                job = run_one(self.queue, self.execute, holder, self.policy, self.now, self._holding)
                self._prune()
            except Exception:  # noqa: BLE001 - the database went away: wait, then try again
                log.exception("job worker %s: could not reach the queue", holder)
                job = None
                stop.wait(self.policy.poll_seconds)
            if job is None and not stop.is_set():
                self.queue.wait(self.policy.poll_seconds)

    def _prune(self) -> None:
        if time.monotonic() - self._last_prune < 3600:
            return
        self._last_prune = time.monotonic()
        self.queue.forget_before(self.now() - self.policy.retention)

    def _holding(self, job: Job | None, token: str) -> None:
        with self._hand_lock:
            if job is None:
                self._in_hand.pop(token, None)
            else:
                self._in_hand[token] = job.id

    def stop(self, timeout: float = STOP_GRACE_SECONDS) -> list[int]:
        """Stop taking jobs; let those in hand finish for up to `timeout` seconds, then hand
        the rest back to the queue at once (another worker runs them now, not after their
        lease). The ids handed back. A handed-back job's thread may still be running: the
        process exits next, as if it had died, and the job's work is idempotent."""
        self._stop.set()
        self.queue.wake()  # idle threads stop now, not at the end of their poll interval
        deadline = time.monotonic() + timeout
        for thread in self._running:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._hand_lock:
            unfinished = dict(self._in_hand)
        handed = [job_id for token, job_id in unfinished.items() if self._hand_back(job_id, token)]
        if handed:
            log.warning("stopping: handed %d unfinished job(s) back to the queue: %s", len(handed), handed)
        return handed

    def _hand_back(self, job_id: int, token: str) -> bool:
        try:
            return self.queue.release(job_id, token, at=self.now())
        except Exception:  # noqa: BLE001 - its lease runs out instead
            log.warning("could not hand job %s back; it runs again when its lease ends", job_id, exc_info=True)
            return False


class JobRepository(JobQueue, Protocol):
    """Durable post-ack work (core/jobs.py): the queue workers claim from, and what the
    `bot.py jobs` commands read and re-queue."""

    def listed(self, *, failed: bool = False, limit: int = 50) -> list[Job]: ...

    def get(self, job_id: int) -> Job | None: ...

    def retry(self, job_id: int, *, at: datetime) -> Job | None: ...
