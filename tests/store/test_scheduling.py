"""The clock's storage: the lease (one holder, renewal, takeover after expiry), the notice
ledger (one decision and one delivery per natural key), and the schema matching 0005."""

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.clock import ManualClock
from store.db import Database
from store.incidents.repository import SqlIncidentRepository
from store.models import Base
from store.scheduling.repository import SqlClockLeaseRepository, SqlNoticeRepository

T0 = ManualClock().now()
TTL = timedelta(seconds=30)


def test_models_match_the_migration(clean_db):
    db = Database(clean_db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "scheduler_leases" in repr(d) or "scheduled_notices" in repr(d)] == []
    db.dispose()


def test_one_holder_until_the_lease_expires_then_another_takes_over(clean_db):
    leases = SqlClockLeaseRepository(Database(clean_db))
    assert leases.acquire("clock", "a", TTL, now=T0)
    assert not leases.acquire("clock", "b", TTL, now=T0 + timedelta(seconds=29))
    assert leases.acquire("clock", "a", TTL, now=T0 + timedelta(seconds=20))  # renewal extends it
    assert not leases.acquire("clock", "b", TTL, now=T0 + timedelta(seconds=49))
    assert leases.acquire("clock", "b", TTL, now=T0 + timedelta(seconds=50))  # expired: taken over
    assert leases.holder("clock") == "b"
    assert not leases.acquire("clock", "a", TTL, now=T0 + timedelta(seconds=51))


def test_release_hands_over_at_once_and_only_by_the_holder(clean_db):
    leases = SqlClockLeaseRepository(Database(clean_db))
    assert leases.acquire("clock", "a", TTL)  # the database's own clock
    leases.release("clock", "b")
    assert leases.holder("clock") == "a"
    leases.release("clock", "a")
    assert leases.acquire("clock", "b", TTL)


def test_a_delivery_is_claimed_once_and_a_stale_claim_is_taken_over(clean_db):
    ledger = SqlNoticeRepository(Database(clean_db))
    stale = timedelta(minutes=5)
    assert ledger.claim("k", None, "a", T0, stale)
    assert not ledger.claim("k", None, "b", T0 + timedelta(minutes=4), stale)
    assert ledger.claim("k", None, "b", T0 + timedelta(minutes=5), stale)  # a died after claiming
    ledger.sent("k", "b", T0 + timedelta(minutes=5))
    assert not ledger.claim("k", None, "c", T0 + timedelta(hours=1), stale)  # sent stays sent
    assert ledger.states(["k", "other"]) == {"k": "sent"}


def test_a_released_claim_can_be_claimed_again(clean_db):
    ledger = SqlNoticeRepository(Database(clean_db))
    assert ledger.claim("k", None, "a", T0, timedelta(minutes=5))
    ledger.release("k", "b")  # not b's
    assert not ledger.claim("k", None, "b", T0, timedelta(minutes=5))
    ledger.release("k", "a")
    assert ledger.claim("k", None, "b", T0, timedelta(minutes=5))


def test_the_first_decision_stands(clean_db):
    db = Database(clean_db)
    incident, _ = SqlIncidentRepository(db).create(title="t", severity="sev1", category="other", declared_by="U1", at=T0,
                                           origin_channel=None, dedup_key=None, timeline_text="declared")
    ledger = SqlNoticeRepository(db)
    assert ledger.decide("sla:1:acknowledge", incident.id, "breached", T0) == "breached"
    assert ledger.decide("sla:1:acknowledge", incident.id, "met", T0) == "breached"
