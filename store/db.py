"""Engine and sessions. SQLite for a single process and the local default, PostgreSQL
for replicas; both behave the same for the rest of the code."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Engine, Executable, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import PROJECT_ROOT

DEFAULT_SQLITE = PROJECT_ROOT / "var" / "firebreak.db"


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


def _sqlite_begin_immediate(conn) -> None:
    # Writers take the lock at BEGIN so read-then-write transactions serialise instead of
    # failing with "database is locked" halfway (SQLite's stand-in for row locks); readers
    # (Database.read) start deferred and, under WAL, never wait for a writer.
    if conn.get_execution_options().get("firebreak_read_only"):
        conn.exec_driver_sql("BEGIN")
        return
    # Waiting for the write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ... 25, 50, 100 ms
    # between tries, so under contention (a web process enqueueing beside job workers) a
    # writer slept up to 100 ms after a lock held for 2. Try again every 0.5-5 ms instead,
    # within the same overall timeout.
    dbapi = conn.connection.dbapi_connection
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
            time.sleep(pause)
            pause = min(pause * 2, _BEGIN_POLL[1])
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


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
        # SQLite has one write lock per file. The web threads' enqueues (`write_one`) queue for
        # it here and are woken the moment it is free, instead of polling for it (which left
        # an unlucky ack sleeping behind a stream of others: 250 ms at p99 with 8 threads).
        # ORM sessions keep polling: making them queue too slowed a findings storm by a
        # quarter (the intake waited its turn behind the notifier's writes).
        self._writer = threading.RLock() if self.is_sqlite else None
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

    @contextmanager
    def _one_writer(self) -> Iterator[None]:
        # Bounded like SQLite's own wait; past it, go on and let BEGIN IMMEDIATE's loop decide.
        held = self._writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            yield
        finally:
            if held:
                self._writer.release()

    def write_one(self, statement: Executable, params: dict) -> Any:
        """Run one statement that commits on its own and return its first column: the few hot
        writes (the ack's enqueue) where every round trip is felt. Callers make the statement
        idempotent (INSERT ... ON CONFLICT DO NOTHING), because on PostgreSQL it may be sent twice.

        PostgreSQL: an autocommit connection and no pre-ping, so the statement is the only round
        trip (the pool's ping, BEGIN and COMMIT were three more, each waiting for a busy server
        under load); a connection found dead is replaced and the statement sent once more.
        SQLite: a write transaction, queued for the file's write lock in-process (`_writer`)."""
        if self.is_sqlite:
            with self._one_writer():
                with self.engine.begin() as conn:
                    return conn.execute(statement, params).scalar()
        for attempt in (1, 2):
            try:
                with self._autocommit().connect() as conn:
                    return conn.execute(statement, params).scalar()
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _autocommit(self) -> Engine:
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
