"""The containment store under contention: of many concurrent claims exactly one wins,
and concurrent audit appends never fork the chain."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from core.containment.audit import verify
from store.containment.repository import SqlContainmentRepository
from store.audit.repository import SqlAuditRepository
from store.containment.lease import SqlExecutionLeaseRepository
from store.db import Database
from store.incidents.repository import SqlIncidentRepository

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def approved_request(db):
    incident = SqlIncidentRepository(db).create(title="t", severity="sev2", category="other", declared_by="UALICE", at=AT,
                                        origin_channel=None, dedup_key=None, timeline_text="t")[0]
    fields = dict(incident_id=incident.id, action="disable-lambda", target="fn", options={}, account="123456789012",
                  region="us-east-1", state="approved", dry_run=False, requested_by="UALICE", requested_at=AT,
                  expires_at=AT, plan={})
    return SqlContainmentRepository(db, SqlAuditRepository(db)).create(fields, {"event": "requested"}, AT)[0]


def test_one_claim_of_many_wins_and_the_chain_holds(clean_db):
    db = Database(clean_db)
    request = approved_request(db)
    store = SqlContainmentRepository(db, SqlAuditRepository(db))
    with ThreadPoolExecutor(16) as pool:
        claims = list(pool.map(lambda _: store.claim(request.id, AT), range(32)))
        list(pool.map(lambda n: store.record(request.id, {"event": "aws-call", "n": n}, AT), range(40)))
    assert claims.count(True) == 1 and store.get(request.id).state == "executing"
    log = SqlAuditRepository(db)
    verdict = verify(log.records(), log.head())
    assert verdict.ok and verdict.count == 1 + 1 + 40
    db.dispose()


def test_a_lease_is_seen_while_held_and_gone_after(clean_db):
    db = Database(clean_db)
    leases = SqlExecutionLeaseRepository(db)
    assert not leases.held(7)
    with leases.hold(7):
        assert leases.held(7) and not leases.held(8)
    assert not leases.held(7)
    db.dispose()
