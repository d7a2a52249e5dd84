"""Who is executing a request right now. A crash between claim and finish leaves a request
`executing`; recovery must tell that apart from a replica that is still working on it.

PostgreSQL: a session-level advisory lock on a connection held for the whole run, which
the server drops when the process dies. SQLite serves one process: an in-process set."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import text

from store.db import Database

LOCK_CLASS = 0x46425243  # "FBRC": keeps our advisory locks apart from anyone else's


class SqlExecutionLeaseRepository:
    _local: dict[str, set[int]] = {}
    _local_lock = threading.Lock()

    def __init__(self, db: Database):
        self.db = db

    @contextmanager
    def hold(self, request_id: int) -> Iterator[None]:
        if self.db.is_sqlite:
            with self._local_lock:
                self._local.setdefault(self.db.url, set()).add(request_id)
            try:
                yield
            finally:
                with self._local_lock:
                    self._local[self.db.url].discard(request_id)
            return
        with self.db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:c, :r)"), {"c": LOCK_CLASS, "r": request_id})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:c, :r)"), {"c": LOCK_CLASS, "r": request_id})
                conn.commit()

    def held(self, request_id: int) -> bool:
        """True while some live process runs the request."""
        if self.db.is_sqlite:
            with self._local_lock:
                return request_id in self._local.get(self.db.url, set())
        with self.db.engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:c, :r)"),
                               {"c": LOCK_CLASS, "r": request_id}).scalar()
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:c, :r)"), {"c": LOCK_CLASS, "r": request_id})
            conn.commit()
            return not got
