"""SQLite: concurrent acks share one transaction, so one fsync, instead of queueing for it.

Every ack commits its job before Slack hears back. On SQLite the commits of one file are
serial, and under load a commit's fsync took 2-8 ms, so with four web threads an ack waited
about 20 ms for the others' commits before its own. Here the first thread to arrive leads:
it takes every request waiting at that moment, runs them in one BEGIN IMMEDIATE ... COMMIT,
and hands each its own row; whoever arrived meanwhile forms the next batch. Each caller still
returns only after its row is committed."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

_NOT_YET = object()


@dataclass(eq=False)
class Pending:
    sql: str
    params: tuple
    row: object = _NOT_YET
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.row is not _NOT_YET or self.error is not None

    def result(self) -> tuple | None:
        if self.error is not None:
            raise self.error
        return self.row


@dataclass(eq=False)
class GroupCommit:
    """`run_batch(list[Pending])` sets each one's row or error; it is never run twice at once."""

    run_batch: Callable[[list[Pending]], None]
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _waiting: list[Pending] = field(default_factory=list)
    _leading: bool = False

    def submit(self, sql: str, params: tuple) -> tuple | None:
        mine = Pending(sql, params)
        with self._cond:
            self._waiting.append(mine)
            while self._leading and not mine.done:
                self._cond.wait()
            if mine.done:  # a leader committed it (or failed it) while this thread waited
                return mine.result()
            self._leading = True
            batch, self._waiting = self._waiting, []
        try:
            self.run_batch(batch)
        except BaseException as exc:  # noqa: BLE001 - whatever it was, none of this batch is committed
            for pending in batch:
                if not pending.done:
                    pending.error = exc
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()
        return mine.result()
