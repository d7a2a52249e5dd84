"""Appending to and reading the audit chain. Appends lock the single head row, so on
PostgreSQL two replicas append one after the other and the chain never forks; on SQLite
the write transaction itself serialises them.

With a key (FIREBREAK_AUDIT_KEY, handed in by the composition root, never stored here) every
new entry is an HMAC; without one, a plain hash. Each entry records which (`scheme`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit.chain import GENESIS, Anchored, AuditKey, AuditRecord, canonical, link, scheme_of
from core.errors import FirebreakError
from store.audit.head_file import HeadFile
from store.containment.models import AuditEntryRow, AuditHeadRow
from store.db import Database

HEAD_ID = 1
BATCH = 1000
T = TypeVar("T")


class NoHead(Exception):
    """The chain has no head row yet (a fresh or emptied database)."""


class HeadMissing(FirebreakError):
    """Entries exist but the head row is gone: someone removed it. Appends stop rather than
    start a second chain over the first; `python bot.py audit verify` names the damage."""


def ensure_head(db: Database) -> None:
    """Create the head of an empty chain. A chain with entries and no head was tampered with:
    re-creating the head would hide that (or restart at seq 1), so refuse."""
    try:
        with db.session() as session:
            if session.get(AuditHeadRow, HEAD_ID) is not None:
                return
            entries = session.scalar(select(func.count()).select_from(AuditEntryRow))
            if entries:
                raise HeadMissing(f"The audit chain's head row is missing although {entries} entries exist; "
                                  "nothing more is appended. Run `python bot.py audit verify`.")
            session.add(AuditHeadRow(id=HEAD_ID, seq=0, hash=GENESIS))
    except IntegrityError:
        pass  # another writer created it first


def write(db: Database, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction; if it is the chain's very first entry, create the head first."""
    try:
        with db.session() as session:
            return work(session)
    except NoHead:
        ensure_head(db)
    with db.session() as session:
        return work(session)


def append(session: Session, at: datetime, event: dict, request_id: int | None = None,
           key: AuditKey | None = None) -> int:
    """Add one entry inside the caller's transaction; returns its seq."""
    head = session.scalar(select(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).with_for_update())
    if head is None:
        raise NoHead()
    seq = head.seq + 1
    body = canonical(seq, at, event)
    digest = link(head.hash, body, key)
    session.add(AuditEntryRow(seq=seq, request_id=request_id, body=body, prev_hash=head.hash, hash=digest,
                              scheme=scheme_of(key)))
    head.seq, head.hash = seq, digest
    return seq


_HEAD, _ENTRIES = AuditHeadRow.__table__, AuditEntryRow.__table__


def _append_core(conn: Connection, at: datetime, event: dict, request_id: int | None, key: AuditKey | None) -> int:
    head = conn.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID).with_for_update()).first()
    if head is None:
        raise NoHead()
    seq = head.seq + 1
    body = canonical(seq, at, event)
    digest = link(head.hash, body, key)
    conn.execute(insert(_ENTRIES).values(seq=seq, request_id=request_id, body=body, prev_hash=head.hash,
                                         hash=digest, scheme=scheme_of(key)))
    conn.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=seq, hash=digest))
    return seq


class SqlAuditRepository:
    def __init__(self, db: Database, key: AuditKey | None = None, head_file: HeadFile | None = None):
        self.db = db
        self._key = key
        # With a key: the head, MAC'd, outside the database after every committed append.
        self._head_file = head_file if key is not None else None

    def _advance_head_file(self) -> None:
        if self._head_file is None:
            return
        head = self.head()
        if head is not None and head[0]:
            self._head_file.advance(head[0], head[1], datetime.now(timezone.utc))

    def sealed_head(self) -> tuple[Anchored | None, str | None]:
        """The head as the head file recorded it (MAC checked), or why the file cannot be
        trusted; (None, None) without a key or before the first keyed append."""
        return self._head_file.read() if self._head_file is not None else (None, None)

    # ----------------------------------------------------------------- writes
    def append_in(self, session: Session, at: datetime, event: dict, request_id: int | None = None) -> int:
        """An entry inside the caller's transaction (containment appends with its state change)."""
        return append(session, at, event, request_id, self._key)

    def write(self, work: Callable[[Session], T]) -> T:
        result = write(self.db, work)
        self._advance_head_file()
        return result

    def append(self, event: dict, at: datetime, request_id: int | None = None) -> int:
        """An entry in a transaction of its own (every AWS call of a containment run: the same
        three statements as `append`, through SQLAlchemy Core rather than the ORM, whose work
        per entry was most of an entry's cost)."""
        try:
            with self.db.engine.begin() as conn:
                seq = _append_core(conn, at, event, request_id, self._key)
        except NoHead:
            ensure_head(self.db)
            with self.db.engine.begin() as conn:
                seq = _append_core(conn, at, event, request_id, self._key)
        self._advance_head_file()
        return seq

    # ------------------------------------------------------------------ reads
    def records(self) -> Iterator[AuditRecord]:
        """Every entry in order, read in batches so a long chain is not held in memory."""
        after = 0
        while True:
            with self.db.read() as session:
                rows = list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.seq > after)
                                            .order_by(AuditEntryRow.seq).limit(BATCH)))
            if not rows:
                return
            for row in rows:
                yield AuditRecord(row.seq, row.body, row.prev_hash, row.hash, row.scheme)
            after = rows[-1].seq

    def head(self) -> tuple[int, str] | None:
        with self.db.read() as session:
            row = session.get(AuditHeadRow, HEAD_ID)
            return (row.seq, row.hash) if row else None

    def for_request(self, request_id: int) -> list[dict]:
        with self.db.read() as session:
            rows = session.scalars(select(AuditEntryRow).where(AuditEntryRow.request_id == request_id)
                                   .order_by(AuditEntryRow.seq))
            return [json.loads(r.body) for r in rows]
