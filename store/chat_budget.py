"""The deployment's chat budget in the database (core/chat_budget.py has the rules): a row
per lane (a channel, a method) with when the next send may start, a pause after a 429, an
urgent sender's mark, the send in flight and the method's starts in the last minute.

A claim is one short transaction: the lanes' rows `SELECT … FOR UPDATE SKIP LOCKED` (a
row another process is claiming right now is not waited for: that lane is busy, ask again
in BUSY_RETRY seconds, or send on another channel), the rules applied, the rows written.
No lock is held while the message is sent: the claim holds a spaced lane by its state (a
holder and a lease), released after the send. For PostgreSQL, where several processes
share the budget; SQLite deployments are one process and use core's MemoryBudget."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from sqlalchemy import JSON, Double, String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, mapped_column

from core.chat_budget import Claim, Lane, LaneState, decide, new_holder, paused, released
from store.db import Database
from store.models import Base

BUSY_RETRY = 0.02  # seconds: another process holds the row for its claim's few milliseconds


class ChatBudgetRow(Base):
    __tablename__ = "chat_budget"

    lane: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_at: Mapped[float] = mapped_column(Double, default=0.0)  # epoch seconds
    paused_until: Mapped[float] = mapped_column(Double, default=0.0)
    urgent_until: Mapped[float] = mapped_column(Double, default=0.0)
    holder: Mapped[str | None] = mapped_column(String(40))
    recent: Mapped[list] = mapped_column(JSON, default=list)  # starts in the last minute (method lanes)


def _state(row: ChatBudgetRow) -> LaneState:
    return LaneState(next_at=row.next_at, paused_until=row.paused_until, urgent_until=row.urgent_until,
                     holder=row.holder, recent=tuple(row.recent or ()))


def _write(row: ChatBudgetRow, state: LaneState) -> None:
    row.next_at, row.paused_until, row.urgent_until = state.next_at, state.paused_until, state.urgent_until
    row.holder, row.recent = state.holder, list(state.recent)


class SqlChatBudget:
    """core.chat_budget.ChatBudget shared by every process on one PostgreSQL database."""

    def __init__(self, db: Database, now: Callable[[], float] = time.time):
        self.db, self._now = db, now
        self._known: set[str] = set()  # lanes whose rows exist (rows are never deleted)

    def claim(self, lanes: Sequence[Lane], *, urgent: bool = False) -> Claim | float:
        by_name = {lane.name: lane for lane in lanes}
        self._ensure(by_name)
        holder = new_holder()
        with self.db.session() as session:
            rows = {row.lane: row for row in session.scalars(
                select(ChatBudgetRow).where(ChatBudgetRow.lane.in_(sorted(by_name)))
                .order_by(ChatBudgetRow.lane).with_for_update(skip_locked=True))}
            if len(rows) < len(by_name):  # locked by another claim (or, if deleted, made again next time)
                self._known.difference_update(set(by_name) - set(rows))
                return BUSY_RETRY
            wait, changed = decide(by_name.values(), {name: _state(row) for name, row in rows.items()},
                                   self._now(), holder, urgent=urgent)
            for name, state in changed.items():
                _write(rows[name], state)
        return wait if wait > 0 else Claim(tuple(by_name.values()), holder)

    def release(self, claim: Claim, *, sent: bool) -> None:
        spaced = {lane.name: lane for lane in claim.lanes if lane.spacing > 0}
        if not spaced:
            return
        self._change(spaced, lambda lane, state, now: released(lane, state, now, claim.holder, sent=sent))

    def pause(self, lane: Lane, seconds: float) -> None:
        self._ensure({lane.name: lane})
        self._change({lane.name: lane}, lambda _, state, now: paused(state, now, seconds))

    def _change(self, lanes: dict[str, Lane], change) -> None:
        """Apply `change` to the lanes' rows, waiting for their locks (a release or a pause
        must not be skipped)."""
        with self.db.session() as session:
            rows = session.scalars(select(ChatBudgetRow).where(ChatBudgetRow.lane.in_(sorted(lanes)))
                                   .order_by(ChatBudgetRow.lane).with_for_update())
            now = self._now()
            for row in rows:
                _write(row, change(lanes[row.lane], _state(row), now))

    def _ensure(self, lanes: dict[str, Lane]) -> None:
        missing = [name for name in lanes if name not in self._known]
        if not missing:
            return
        with self.db.session() as session:
            session.execute(pg_insert(ChatBudgetRow).values(
                [dict(lane=name, next_at=0.0, paused_until=0.0, urgent_until=0.0, recent=[]) for name in missing])
                .on_conflict_do_nothing(index_elements=["lane"]))
        self._known.update(missing)
