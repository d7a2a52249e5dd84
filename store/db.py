"""Engine and sessions. SQLite for a single process and the local default, PostgreSQL
for replicas; both behave the same for the rest of the code."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, Executable, Row, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import PROJECT_ROOT
from store.group_commit import GroupCommit, Pending

DEFAULT_SQLITE = PROJECT_ROOT / "var" / "firebreak.db"
log = logging.getLogger("firebreak.db")


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE}"


def normalize_url(url: str) -> str:
    """Accept the common `postgres://` / `postgresql://` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str | None = None) -> Engine:
    url = normalize_url(url or default_database_url())
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside a writer; foreign keys are off by default in SQLite.
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


BUSY_TIMEOUT_MS = 10000
_BEGIN_POLL = (0.0005, 0.005)  # first and longest sleep (s) between tries for the write lock
_URGENT_POLL = 0.0002  # the ack's enqueue tries again this often: it goes before background work


def _sqlite_begin_immediate(conn) -> None:
    # Writers take the lock at BEGIN so read-then-write transactions serialise instead of
    # failing with "database is locked" halfway (SQLite's stand-in for row locks); readers
    # (Database.read) start deferred and, under WAL, never wait for a writer.
    if conn.get_execution_options().get("firebreak_read_only"):
        conn.exec_driver_sql("BEGIN")
        return
    _begin_immediate(conn.connection.dbapi_connection)


def _begin_immediate(dbapi: sqlite3.Connection, *, urgent: bool = False) -> None:
    # Waiting for the write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ... 25, 50, 100 ms
    # between tries, so under contention (a web process enqueueing beside job workers) a
    # writer slept up to 100 ms after a lock held for 2. Try again every 0.5-5 ms instead,
    # within the same overall timeout; an urgent writer (the ack's enqueue, which Slack times)
    # every 0.2 ms, so when the lock comes free it is likelier to take it than a job worker.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = _BEGIN_POLL[0]
    dbapi.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(_URGENT_POLL if urgent else pause)
            pause = min(pause * 2, _BEGIN_POLL[1])
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _disconnected(pooled) -> bool:
    """Is this psycopg connection gone (server restart, failover, idle timeout)?"""
    return bool(getattr(pooled.driver_connection, "closed", False) or getattr(pooled.driver_connection, "broken",
                                                                             False))


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything Firebreak stores is UTC."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


class Database:
    """Owns the engine and hands out transactional sessions."""

    def __init__(self, url: str | None = None):
        self.url = normalize_url(url or default_database_url())
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(firebreak_read_only=True),
                                     expire_on_commit=False)
        self._group = GroupCommit(self._commit_batch) if self.is_sqlite else None  # urgent_insert
        self._hot: Engine | None = None  # PostgreSQL: write_one's autocommit engine, made on first use
        self._hot_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any exception."""
        with self._sessions() as session:
            with session.begin():
                yield session

    def _commit_batch(self, batch: list[Pending]) -> None:
        """SQLite: the waiting enqueues in one transaction. Should one of them fail, the others
        must not fail with it: then each runs again in a transaction of its own."""
        pooled = self.engine.raw_connection()
        try:
            dbapi = pooled.driver_connection
            _begin_immediate(dbapi, urgent=True)
            try:
                rows = [dbapi.execute(p.sql, p.params).fetchone() for p in batch]
            except sqlite3.Error:
                dbapi.execute("ROLLBACK")
                if len(batch) == 1:
                    raise
                for pending in batch:
                    try:
                        self._commit_batch([pending])
                    except sqlite3.Error as exc:
                        pending.error = exc
                return
            dbapi.execute("COMMIT")  # on failure nothing of the batch is committed: all get the error
            for pending, row in zip(batch, rows):
                pending.row = row
        finally:
            pooled.close()

    def write_one(self, statement: Executable, params: dict) -> Row | None:
        """Run one statement that commits on its own and return its first row: a worker's claim
        and finish, short writes that should hold SQLite's write lock (or PostgreSQL's row lock)
        for no longer than the statement. Callers make it idempotent (an UPDATE conditional on
        what it changes), because on PostgreSQL it may be sent twice (see `_autocommit`)."""
        if self.is_sqlite:
            with self.engine.begin() as conn:
                return conn.execute(statement, params).first()
        for attempt in (1, 2):
            try:
                with self._autocommit().connect() as conn:
                    return conn.execute(statement, params).first()
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def urgent_insert(self, sql: str, params: tuple) -> tuple | None:
        """The ack's enqueue: one idempotent statement in the driver's own SQL on a pooled DB-API
        connection, committed on its own; its first row. SQLAlchemy's work around a statement
        (connection, transaction and event bookkeeping) was most of what an ack cost beyond
        Bolt's (0.9 ms of CPU of 1.2), so this one statement does without it.

        SQLite: concurrent calls share one transaction (store/group_commit.py), which polls for
        the file's write lock more eagerly than background writers. PostgreSQL: see `_autocommit`."""
        if self.is_sqlite:
            return self._group.submit(sql, params)
        for attempt in (1, 2):
            pooled = self._autocommit().raw_connection()
            try:
                return pooled.driver_connection.execute(sql, params).fetchone()
            except Exception as exc:
                if attempt == 2 or not _disconnected(pooled):
                    raise
                log.warning("database connection lost (%s); sending the enqueue again on a new one",
                            type(exc).__name__)
                pooled.invalidate()
            finally:
                pooled.close()
        raise AssertionError("unreachable")

    def _autocommit(self) -> Engine:
        """PostgreSQL, for the hot writes: autocommit connections and no pre-ping, so the
        statement is the only round trip (the pool's ping, BEGIN and COMMIT were three more, each
        waiting for a busy server under load). A connection the server dropped meanwhile shows
        as an error on the statement; the callers then send it once more on a new connection."""
        with self._hot_lock:
            if self._hot is None:
                self._hot = create_engine(self.url, pool_size=10, max_overflow=20, isolation_level="AUTOCOMMIT")
            return self._hot

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction that only reads (on SQLite it does not queue behind writers)."""
        with self._readers() as session:
            with session.begin():
                yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                conn.rollback()
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
        if self._hot is not None:
            self._hot.dispose()
