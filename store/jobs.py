"""The jobs table: durable work after Slack's ack (core/jobs.py says how jobs live and die).

Claiming is one short write transaction: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`
(workers never wait on each other's rows), on SQLite a plain select and update under the
database's write lock, which store.db takes at BEGIN (BEGIN IMMEDIATE), so two claims
serialise. Every later write about a job is conditional on the claim's token (`locked_by`),
so a worker whose lease ran out cannot finish or fail a job someone else has claimed since.

Workers are woken at once by an enqueue in the same process; on PostgreSQL an enqueue also
sends NOTIFY on the `firebreak_jobs` channel, which idle workers in other processes LISTEN
to. Without it (SQLite, or a missed notification) they poll."""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime, timedelta

from sqlalchemy import (JSON, DateTime, Integer, String, Text, and_, delete, func, or_, select, text,
                        update)
from sqlalchemy.orm import Mapped, mapped_column

from core.integrity import JOBS, Seal
from core.jobs import DEAD, DONE, QUEUED, RUNNING, Job, sealed_body
from store.db import Database, utc
from store.models import Base

log = logging.getLogger("firebreak.jobs")
CHANNEL = "firebreak_jobs"


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    route: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # HMAC of key, route and payload made at enqueue with a key derived from FIREBREAK_AUDIT_KEY
    # (core/integrity.py): a row inserted or edited by anyone else does not verify.
    mac: Mapped[str | None] = mapped_column(String(64))


def _job(row: JobRow) -> Job:
    return Job(id=row.id, key=row.key, route=row.route, payload=row.payload, state=row.state,
               attempts=row.attempts, run_after=utc(row.run_after), locked_by=row.locked_by,
               locked_until=utc(row.locked_until), last_error=row.last_error, created_at=utc(row.created_at),
               finished_at=utc(row.finished_at), mac=row.mac)


class SqlJobRepository:
    def __init__(self, db: Database, seal: Seal | None = None):
        self.db = db
        self.seal = seal or Seal(None, JOBS)  # signs each job as it is enqueued (keyed or not)
        self._wake = threading.Condition()
        self._generation = 0
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self._closed = threading.Event()
        # A channel only this repository's listener hears: close() notifies it, so the listener
        # stops at once instead of at the end of its one-second wait for notifications.
        self._stop_channel = f"{CHANNEL}_stop_{secrets.token_hex(8)}"
        # The enqueue runs before every ack, in the driver's own SQL (Database.urgent_insert);
        # values go through the columns' own SQLAlchemy conversions, so rows read back as any other.
        table, dialect = JobRow.__table__, db.engine.dialect
        self._enqueue_columns = ("key", "route", "payload", "state", "attempts", "run_after", "created_at", "mac")
        self._enqueue_convert = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                                 for c in self._enqueue_columns]
        marks = ", ".join("?" if db.is_sqlite else "%s" for _ in self._enqueue_columns)
        insert = (f"INSERT INTO jobs ({', '.join(self._enqueue_columns)}) VALUES ({marks}) "
                  "ON CONFLICT (key) DO NOTHING RETURNING id")
        # PostgreSQL: wake idle workers in other processes, in the same round trip
        self._enqueue_sql = insert if db.is_sqlite else (
            f"WITH added AS ({insert}) SELECT added.id, pg_notify('{CHANNEL}', '') FROM added")

    # ------------------------------------------------------------------ the web side
    def enqueue(self, *, key: str, route: str, payload: dict, at: datetime) -> bool:
        """Commit a job; False (and nothing new) when a job with this key exists already."""
        values = dict(key=key[:200], route=route[:200], payload=payload, state=QUEUED, attempts=0,
                      run_after=at, created_at=at, mac=self.seal.sign(sealed_body(key, route, payload)))
        params = tuple(convert(values[c]) if convert else values[c]
                       for c, convert in zip(self._enqueue_columns, self._enqueue_convert))
        added = self.db.urgent_insert(self._enqueue_sql, params) is not None
        if added:
            self.wake(everyone=False)
        return added

    # ------------------------------------------------------------------ workers
    def claim(self, holder: str, *, now: datetime, lease: timedelta) -> Job | None:
        """The next job that is due (or whose worker's lease ran out), now held by `holder`."""
        ready = or_(and_(JobRow.state == QUEUED, JobRow.run_after <= now),
                    and_(JobRow.state == RUNNING, JobRow.locked_until < now))
        if self.db.is_sqlite:  # an idle poll must not take the one write lock the web side needs
            with self.db.read() as session:
                if session.scalar(select(JobRow.id).where(ready).limit(1)) is None:
                    return None
        token = f"{holder}:{secrets.token_hex(4)}"[:200]
        table = JobRow.__table__
        next_ready = (select(JobRow.id).where(ready).order_by(JobRow.run_after, JobRow.id).limit(1)
                      .with_for_update(skip_locked=True).scalar_subquery())
        # One statement (Core): the write lock or the row lock is held for it alone.
        row = self.db.write_one(
            update(table).where(table.c.id == next_ready, ready)
            .values(state=RUNNING, attempts=table.c.attempts + 1, locked_by=token, locked_until=now + lease)
            .returning(*table.c), {})
        return _job(row) if row is not None else None

    def extend(self, job_id: int, holder: str, until: datetime) -> bool:
        with self.db.session() as session:
            return bool(session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.locked_by == holder,
                                                             JobRow.state == RUNNING)
                                        .values(locked_until=until)).rowcount)

    def finish(self, job_id: int, holder: str, *, at: datetime) -> bool:
        table = JobRow.__table__
        return self.db.write_one(update(table).where(table.c.id == job_id, table.c.locked_by == holder)
                                 .values(state=DONE, finished_at=at, locked_until=None).returning(table.c.id),
                                 {}) is not None

    def fail(self, job_id: int, holder: str, *, error: str, at: datetime, retry_at: datetime | None) -> str | None:
        """Queue the job again at `retry_at`, or (None) make it a dead letter; its new state."""
        state = QUEUED if retry_at is not None else DEAD
        values = dict(state=state, last_error=error, locked_until=None)
        values.update(run_after=retry_at) if retry_at is not None else values.update(finished_at=at)
        with self.db.session() as session:
            done = session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.locked_by == holder)
                                   .values(**values)).rowcount
        if done and retry_at is not None:
            self.wake()
        return state if done else None

    def release(self, job_id: int, holder: str, *, at: datetime) -> bool:
        """Hand a running job back (its worker is stopping): queued for `at`, the interrupted
        attempt not counted, and workers everywhere woken (NOTIFY) to take it at once."""
        with self.db.session() as session:
            done = session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.locked_by == holder,
                                                        JobRow.state == RUNNING)
                                   .values(state=QUEUED, run_after=at, locked_by=None, locked_until=None,
                                           attempts=JobRow.attempts - 1)).rowcount
            if done and not self.db.is_sqlite:
                session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
        if done:
            self.wake()
        return bool(done)

    def active(self) -> int:
        """Jobs queued or running (a retry waiting for its time included)."""
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(JobRow)
                                  .where(JobRow.state.in_((QUEUED, RUNNING)))) or 0

    def forget_before(self, cutoff: datetime) -> int:
        """Drop finished jobs older than `cutoff` (dead letters stay until someone acts on them)."""
        with self.db.session() as session:
            return session.execute(delete(JobRow).where(JobRow.state == DONE, JobRow.finished_at < cutoff)
                                   ).rowcount or 0

    # ------------------------------------------------------------------ operators (bot.py jobs)
    def listed(self, *, failed: bool = False, limit: int = 50) -> list[Job]:
        query = select(JobRow).order_by(JobRow.id.desc()).limit(limit)
        if failed:
            query = query.where(JobRow.state == DEAD)
        with self.db.read() as session:
            return [_job(row) for row in session.scalars(query)]

    def get(self, job_id: int) -> Job | None:
        with self.db.read() as session:
            row = session.get(JobRow, job_id)
            return _job(row) if row is not None else None

    def retry(self, job_id: int, *, at: datetime) -> Job | None:
        """Queue a dead letter again with fresh attempts; None unless it is dead."""
        with self.db.session() as session:
            changed = session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.state == DEAD)
                                      .values(state=QUEUED, attempts=0, run_after=at, locked_by=None,
                                              locked_until=None, finished_at=None)).rowcount
            if changed and not self.db.is_sqlite:
                session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
        if not changed:
            return None
        self.wake()
        return self.get(job_id)

    # ------------------------------------------------------------------ waking idle workers
    def wake(self, everyone: bool = True) -> None:
        """Wake idle workers: all of them (stopping, a retry), or for one new job just one. All
        eight threads of a worker woke for each job and raced to claim it, one winning; the
        others' empty claims made the winner's first 30 ms three times slower. A thread that
        finishes a job claims the next one before it sleeps, so none is left waiting."""
        with self._wake:
            self._generation += 1
            if everyone:
                self._wake.notify_all()
            else:
                self._wake.notify()

    def wait(self, timeout: float) -> None:
        """Sleep until a job may be ready (an enqueue here or, on PostgreSQL, anywhere) or `timeout`."""
        if not self.db.is_sqlite:
            self._listen()
        with self._wake:
            seen = self._generation
            self._wake.wait_for(lambda: self._generation != seen, timeout)

    def close(self) -> None:
        """Stop listening for notifications (the process is shutting down)."""
        self._closed.set()
        self.wake()
        if self._listener is not None and self._listener.is_alive():
            try:
                with self.db.engine.begin() as conn:
                    conn.exec_driver_sql(f"NOTIFY {self._stop_channel}")
            except Exception:  # noqa: BLE001 - the listener still stops within its one-second wait
                log.debug("could not wake the job listener to stop it", exc_info=True)
            self._listener.join(timeout=5)

    def _listen(self) -> None:
        with self._listener_lock:
            if self._closed.is_set():
                return
            if self._listener is not None and self._listener.is_alive():
                return
            self._listener = threading.Thread(target=self._listen_forever, name="firebreak-jobs-listen",
                                              daemon=True)
            self._listener.start()

    def _listen_forever(self) -> None:
        import psycopg

        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                conn.execute(f"LISTEN {self._stop_channel}")
                while not self._closed.is_set():
                    for _ in conn.notifies(timeout=1.0):
                        if self._closed.is_set():
                            break
                        self.wake(everyone=False)
        except Exception:  # noqa: BLE001 - workers fall back to polling; the next wait() listens again
            log.warning("job notifications stopped; polling instead", exc_info=True)
