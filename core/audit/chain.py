"""The append-only audit chain. Each entry's hash covers its body and the previous hash, so
changing, removing or reordering any entry breaks every link after it.

Two schemes, recorded per entry:
- `hmac-sha256`: HMAC-SHA256 with FIREBREAK_AUDIT_KEY (kept out of the database). A database
  writer without the key cannot re-hash a rewritten entry, so rewriting one is detected.
- `sha256`: a plain hash. Entries written before a key was configured (or without one) use it;
  they stay verifiable, and once a keyed entry follows them its MAC covers them through
  `prev_hash`. With a key configured, unkeyed entries are accepted only as a prefix sealed by
  a keyed entry: an unkeyed entry after a keyed one, or an unkeyed tail, is how a writer
  without the key would have to rewrite the chain, so it is reported as broken.

What the key cannot show (the tail cut off and the head row moved back) the anchor shows: the
head's seq and hash, copied periodically to storage the database writer cannot change."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

GENESIS = "0" * 64
PLAIN = "sha256"
KEYED = "hmac-sha256"


class AuditKey:
    """The chain's HMAC key. Its repr never shows the key, so it cannot leak into a log line."""

    __slots__ = ("_key",)

    def __init__(self, key: str | bytes):
        raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if not raw:
            raise ValueError("an empty audit key")
        self._key = raw

    def mac(self, message: bytes) -> str:
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def derive(self, purpose: str) -> "AuditKey":
        """A key of the same family for another use (jobs, plans, the head file): a MAC made
        for one purpose never verifies for another, and the chain keeps the key itself."""
        return AuditKey(hmac.new(self._key, f"firebreak:{purpose}".encode(), hashlib.sha256).digest())

    def __repr__(self) -> str:
        return "AuditKey(***)"

    __str__ = __repr__


def audit_key(value: str | None) -> AuditKey | None:
    return AuditKey(value) if value else None


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    body: str  # canonical JSON of the event, as hashed
    prev_hash: str
    hash: str
    scheme: str = PLAIN


@dataclass(frozen=True)
class Anchored:
    """The head as it was copied outside the database: entry `seq` had hash `hash` at `at`."""

    seq: int
    hash: str
    at: datetime


@dataclass(frozen=True)
class Verdict:
    count: int
    broken_at: int | None = None  # seq of the first entry that does not hold
    reason: str = ""
    anchored: Anchored | None = None  # the anchor the chain was checked against

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def canonical(seq: int, at: datetime, event: dict) -> str:
    return json.dumps({"seq": seq, "at": at.isoformat(), **event}, sort_keys=True, separators=(",", ":"),
                      default=str, ensure_ascii=False)


def link(prev_hash: str, body: str, key: AuditKey | None = None) -> str:
    """The entry's hash: keyed when a key is given, plain otherwise."""
    message = f"{prev_hash}\n{body}".encode()
    return key.mac(message) if key is not None else hashlib.sha256(message).hexdigest()


def scheme_of(key: AuditKey | None) -> str:
    return KEYED if key is not None else PLAIN


def head_mac(key: AuditKey, seq: int, hash_: str) -> str:
    """The MAC of the chain's head as the head file keeps it outside the database (a key of
    its own, derived from the audit key)."""
    return key.derive("audit-head").mac(f"{seq}\n{hash_}".encode())


def verify(records: Iterable[AuditRecord], head: tuple[int, str] | None = None, *, key: AuditKey | None = None,
           anchor: Anchored | None = None, require_head: bool = False, sealed_head: Anchored | None = None) -> Verdict:
    """Walk the chain in order; name the first entry whose link or content does not hold.

    `head` (last seq and hash, kept apart from the entries) catches a cut-off tail; with
    `require_head` a missing head is itself broken once any entry exists. `key` checks keyed
    entries and refuses unkeyed ones that no keyed entry seals. `anchor` (the head copied
    outside the database) catches a tail cut off together with the head moved back, and so does
    `sealed_head` (the head as the head file kept it, its MAC already checked): the whole chain
    deleted, or cut, is caught with the key alone."""
    previous, count = GENESIS, 0
    first_unsealed: int | None = None  # first unkeyed entry not yet followed by a keyed one
    keyed_seen = False
    rewritten: int | None = None  # the entry the head file recorded, with another hash now

    def broken(seq: int, reason: str) -> Verdict:
        return Verdict(count, seq, reason, anchor)

    for record in records:
        expected_seq = count + 1
        if record.seq != expected_seq:
            return broken(expected_seq, f"entry {expected_seq} is missing (next is {record.seq})")
        if record.prev_hash != previous:
            return broken(record.seq, f"entry {record.seq} does not point at entry {record.seq - 1}")
        try:
            body_seq = json.loads(record.body).get("seq")
        except ValueError:
            body_seq = None
        if record.scheme == KEYED:
            if key is None:
                return broken(record.seq, f"entry {record.seq} is keyed (hmac-sha256): set FIREBREAK_AUDIT_KEY "
                                          "to the key it was written with to verify it")
            keyed_seen, first_unsealed = True, None
        elif record.scheme == PLAIN:
            if key is not None and keyed_seen:
                return broken(record.seq, f"entry {record.seq} is unkeyed after keyed entries: it was written or "
                                          "rewritten without FIREBREAK_AUDIT_KEY")
            if first_unsealed is None:
                first_unsealed = record.seq
        else:
            return broken(record.seq, f"entry {record.seq} names an unknown scheme {record.scheme!r}")
        if body_seq != record.seq or link(record.prev_hash, record.body,
                                          key if record.scheme == KEYED else None) != record.hash:
            suffix = " (or FIREBREAK_AUDIT_KEY is not the key it was written with)" if record.scheme == KEYED else ""
            return broken(record.seq, f"entry {record.seq} was changed after it was written{suffix}")
        if anchor is not None and record.seq == anchor.seq and record.hash != anchor.hash:
            return broken(record.seq, f"entry {record.seq} is not the entry anchored at {anchor.at.isoformat()} "
                                      "(the chain was rewritten from here or before)")
        if sealed_head is not None and record.seq == sealed_head.seq and record.hash != sealed_head.hash:
            rewritten = record.seq  # reported after the checks that can name an earlier entry
        previous, count = record.hash, expected_seq
    if key is not None and first_unsealed is not None:
        return broken(first_unsealed, f"entry {first_unsealed} and the {count - first_unsealed} after it are "
                                      "unkeyed and no keyed entry seals them: written or rewritten without "
                                      "FIREBREAK_AUDIT_KEY (if the key was just set, `python bot.py audit seal`)")
    if anchor is not None and count < anchor.seq:
        return broken(count + 1, f"entries after {count} were removed (the anchor of {anchor.at.isoformat()} "
                                 f"records entry {anchor.seq})")
    if rewritten is not None:
        return broken(rewritten, f"entry {rewritten} is not the entry the head file recorded at "
                                 f"{sealed_head.at.isoformat()} (the chain was rewritten from here or before)")
    if sealed_head is not None and count < sealed_head.seq:
        what = "the whole chain was deleted" if count == 0 else f"entries after {count} were removed"
        return broken(count + 1, f"{what}: the head file (outside the database, keyed) recorded entry "
                                 f"{sealed_head.seq} at {sealed_head.at.isoformat()}")
    if head is None:
        if require_head and count:
            return broken(count + 1, f"the chain's head row is missing although {count} entries exist "
                                     "(it was deleted; entries after the last one may have been removed too)")
    elif head[0] > count:
        return broken(count + 1, f"entries after {count} were removed (the chain's head is at {head[0]})")
    elif head[0] < count:
        return broken(head[0] + 1, f"entry {head[0] + 1} is beyond the chain's head (entry {head[0]})")
    elif head[1] != previous:
        return broken(count, f"the chain's head does not hold the hash of entry {count}")
    return Verdict(count, anchored=anchor)
