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


def test_the_cover_column_matches_its_migration_and_covers_what_was_open_before_it(clean_db):
    """Issue 23 item 1: migration 0026_covers gives requests open or in effect their cover key
    (the oldest of duplicates filed before the rule existed holds it); the model matches it."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import text

    from core.containment.duplicates import cover_key
    from store import migrate
    from store.models import Base

    db = Database(clean_db)
    try:
        with db.engine.begin() as conn:
            cfg = migrate._alembic_config(db)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0026_covers-1")
        incident, _ = SqlIncidentRepository(db).create(title="t", severity="sev2", category="other",
                                                       declared_by="U1", at=AT, origin_channel=None,
                                                       dedup_key=None, timeline_text="t")
        rows = [("isolate-instance", "i-0abc", "succeeded"), ("isolate-instance", "i-0abc", "succeeded"),
                ("block-public-s3", "b", "denied"), ("collect-memory", "i-0abc", "succeeded"),
                ("block-public-s3", "b", "requested")]
        with db.engine.begin() as conn:
            for action, target, state in rows:
                conn.execute(text(
                    "INSERT INTO containment_requests (incident_id, action, target, options, account, region, state,"
                    " dry_run, requested_by, requested_at, expires_at) VALUES (:i, :a, :t, '{}', '123456789012',"
                    " 'us-east-1', :s, false, 'U1', :at, :at)"),
                    {"i": incident.id, "a": action, "t": target, "s": state, "at": AT})
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            covers = [r[0] for r in conn.execute(text("SELECT covers FROM containment_requests ORDER BY id"))]
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        isolate = cover_key("isolate-instance", "i-0abc", "123456789012", "us-east-1", {})
        block = cover_key("block-public-s3", "b", "123456789012", "us-east-1", {})
        assert covers == [isolate, None, None, None, block]
        assert [d for d in diff if "containment_requests" in repr(d)] == []
    finally:
        migrate.upgrade(db)
        db.dispose()
