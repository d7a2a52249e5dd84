"""Appending to and reading the audit chain. Appends lock the single head row, so on
PostgreSQL two replicas append one after the other and the chain never forks; on SQLite
the write transaction itself serialises them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Callable, Iterator, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.containment.audit import GENESIS, AuditRecord, canonical, link
from store.containment_models import AuditEntryRow, AuditHeadRow
from store.db import Database

HEAD_ID = 1
BATCH = 1000
T = TypeVar("T")


class NoHead(Exception):
    """The chain has no head row yet (a fresh or emptied database)."""


def ensure_head(db: Database) -> None:
    try:
        with db.session() as session:
            if session.get(AuditHeadRow, HEAD_ID) is None:
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


def append(session: Session, at: datetime, event: dict, request_id: int | None = None) -> int:
    """Add one entry inside the caller's transaction; returns its seq."""
    head = session.scalar(select(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).with_for_update())
    if head is None:
        raise NoHead()
    seq = head.seq + 1
    body = canonical(seq, at, event)
    digest = link(head.hash, body)
    session.add(AuditEntryRow(seq=seq, request_id=request_id, body=body, prev_hash=head.hash, hash=digest))
    head.seq, head.hash = seq, digest
    return seq


class SqlAuditRepository:
    def __init__(self, db: Database):
        self.db = db

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
                yield AuditRecord(row.seq, row.body, row.prev_hash, row.hash)
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
