"""The append-only audit chain: each entry's hash covers its body and the previous hash,
so changing, removing or reordering any entry breaks every link after it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    body: str  # canonical JSON of the event, as hashed
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verdict:
    count: int
    broken_at: int | None = None  # seq of the first entry that does not hold
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def canonical(seq: int, at: datetime, event: dict) -> str:
    return json.dumps({"seq": seq, "at": at.isoformat(), **event}, sort_keys=True, separators=(",", ":"),
                      default=str, ensure_ascii=False)


def link(prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def verify(records: Iterable[AuditRecord], head: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain in order; name the first entry whose link or content does not hold.
    `head` (last seq and hash, kept apart from the entries) also catches a cut-off tail."""
    previous, count = GENESIS, 0
    for record in records:
        expected_seq = count + 1
        if record.seq != expected_seq:
            return Verdict(count, expected_seq, f"entry {expected_seq} is missing (next is {record.seq})")
        if record.prev_hash != previous:
            return Verdict(count, record.seq, f"entry {record.seq} does not point at entry {record.seq - 1}")
        try:
            body_seq = json.loads(record.body).get("seq")
        except ValueError:
            body_seq = None
        if body_seq != record.seq or link(record.prev_hash, record.body) != record.hash:
            return Verdict(count, record.seq, f"entry {record.seq} was changed after it was written")
        previous, count = record.hash, expected_seq
    if head is not None and (head[0], head[1]) != (count, previous):
        return Verdict(count, count + 1, f"entries after {count} were removed (the chain's head is at {head[0]})")
    return Verdict(count)
