"""The audit chain: intact chains verify; any change, removal or cut-off tail is named."""

import dataclasses
from datetime import datetime, timezone

from core.containment.audit import GENESIS, AuditRecord, canonical, link, verify

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def chain(n):
    records, previous = [], GENESIS
    for seq in range(1, n + 1):
        body = canonical(seq, AT, {"event": "aws-call", "n": seq})
        records.append(AuditRecord(seq, body, previous, link(previous, body)))
        previous = records[-1].hash
    return records


def test_an_intact_chain_verifies():
    records = chain(5)
    verdict = verify(records, head=(5, records[-1].hash))
    assert verdict.ok and verdict.count == 5


def test_a_changed_body_is_the_first_broken_link():
    records = chain(5)
    records[2] = dataclasses.replace(records[2], body=records[2].body.replace('"n":3', '"n":4'))
    verdict = verify(records)
    assert (verdict.broken_at, verdict.count) == (3, 2)
    assert "changed" in verdict.reason


def test_a_removed_entry_and_a_relinked_chain_are_caught():
    records = chain(5)
    assert verify(records[:2] + records[3:]).broken_at == 3
    forged = chain(5)
    forged[3] = dataclasses.replace(forged[3], prev_hash=GENESIS)
    assert verify(forged).broken_at == 4


def test_a_cut_off_tail_is_caught_by_the_head():
    records = chain(5)
    verdict = verify(records[:3], head=(5, records[-1].hash))
    assert not verdict.ok and "removed" in verdict.reason
