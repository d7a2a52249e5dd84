"""The keyed chain on its own: what a writer without the key can and cannot make verify."""

import dataclasses
import hashlib
from datetime import datetime, timezone

from core.audit.chain import (GENESIS, KEYED, PLAIN, Anchored, AuditKey, AuditRecord, canonical, link,
                              verify)

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
KEY = AuditKey("k" * 40)


def chain(n, key=None, start=1, previous=GENESIS):
    records = []
    for seq in range(start, start + n):
        body = canonical(seq, AT, {"event": "aws-call", "n": seq})
        records.append(AuditRecord(seq, body, previous, link(previous, body, key), KEYED if key else PLAIN))
        previous = records[-1].hash
    return records


def rehash(records):
    """What a database writer without the key can do: rewrite and re-hash with plain SHA-256."""
    out, previous = [], GENESIS
    for r in records:
        out.append(AuditRecord(r.seq, r.body, previous, link(previous, r.body), PLAIN))
        previous = out[-1].hash
    return out


def test_a_keyed_chain_verifies_with_its_key_only():
    records = chain(4, KEY)
    assert verify(records, (4, records[-1].hash), key=KEY).count == 4
    wrong = verify(records, key=AuditKey("another key of some length...."))
    assert wrong.broken_at == 1 and "not the key it was written with" in wrong.reason
    unkeyed = verify(records)
    assert unkeyed.broken_at == 1 and "FIREBREAK_AUDIT_KEY" in unkeyed.reason


def test_the_mac_is_not_a_plain_hash():
    body = canonical(1, AT, {"event": "x"})
    assert link(GENESIS, body, KEY) != hashlib.sha256(f"{GENESIS}\n{body}".encode()).hexdigest()


def test_old_unkeyed_entries_stay_verifiable_once_a_keyed_entry_seals_them():
    legacy = chain(3)
    assert verify(legacy).ok  # no key configured: as before
    sealed = legacy + chain(2, KEY, start=4, previous=legacy[-1].hash)
    assert verify(sealed, (5, sealed[-1].hash), key=KEY).ok


def test_rewriting_entry_1_and_rehashing_without_the_key_is_caught_when_a_key_is_configured():
    records = chain(5, KEY)
    forged = rehash([dataclasses.replace(records[0], body=records[0].body.replace('"n":1', '"n":9'))] + records[1:])
    verdict = verify(forged, (5, forged[-1].hash), key=KEY)
    assert (verdict.broken_at, verdict.count) == (1, 5) and "unkeyed" in verdict.reason
    # keeping the scheme but not the key does not help either
    fake_keyed = [dataclasses.replace(r, scheme=KEYED) for r in forged]
    assert verify(fake_keyed, (5, fake_keyed[-1].hash), key=KEY).broken_at == 1


def test_an_unkeyed_entry_after_keyed_ones_is_broken():
    records = chain(3, KEY)
    body = canonical(4, AT, {"event": "forged"})
    records.append(AuditRecord(4, body, records[-1].hash, link(records[-1].hash, body), PLAIN))
    verdict = verify(records, (4, records[-1].hash), key=KEY)
    assert verdict.broken_at == 4 and "unkeyed after keyed" in verdict.reason


def test_a_missing_head_is_broken_once_entries_exist():
    records = chain(3, KEY)
    verdict = verify(records, None, key=KEY, require_head=True)
    assert verdict.broken_at == 4 and "head row is missing" in verdict.reason
    assert verify([], None, key=KEY, require_head=True).ok  # a fresh database


def test_a_cut_tail_with_the_head_moved_back_is_caught_by_the_anchor():
    records = chain(5, KEY)
    cut = records[:3]
    assert verify(cut, (3, cut[-1].hash), key=KEY).ok  # the key alone cannot tell
    anchored = Anchored(5, records[-1].hash, AT)
    verdict = verify(cut, (3, cut[-1].hash), key=KEY, anchor=anchored)
    assert verdict.broken_at == 4 and "removed" in verdict.reason and "anchor" in verdict.reason


def test_an_anchored_entry_must_keep_its_hash():
    records = chain(5)
    forged = rehash([dataclasses.replace(records[0], body=records[0].body.replace('"n":1', '"n":9'))] + records[1:])
    verdict = verify(forged, (5, forged[-1].hash), anchor=Anchored(4, records[3].hash, AT))
    assert verdict.broken_at == 4 and "anchored" in verdict.reason
    assert verify(records, (5, records[-1].hash), anchor=Anchored(4, records[3].hash, AT)).ok


def test_a_head_that_disagrees_with_the_entries_names_where():
    records = chain(5, KEY)
    assert verify(records, (3, records[2].hash), key=KEY).broken_at == 4
    assert verify(records, (5, GENESIS), key=KEY).broken_at == 5


def test_the_key_never_shows_in_a_repr():
    assert "k" * 10 not in repr(KEY) and "k" * 10 not in str(KEY)
