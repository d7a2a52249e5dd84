"""Findings storage: dedup by id, never backwards, one row under a race, schema = models."""

import threading
from datetime import timedelta

import pytest

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.clock import ManualClock
from core.findings.ports import PostingClaim
from store.db import Database
from store.findings.intake import SqlIntakeRepository
from store.findings.models import FindingRow
from store.findings.repository import SqlFindingRepository
from store.findings.state import SqlFindingStateRepository
from store.models import Base
from tests.support.findings import finding

NOW = ManualClock().now()


def _upsert(store, f, now=NOW):
    with store.ingest(now) as tx:
        return tx.upsert(f)


def test_models_match_the_migrations(clean_db):
    db = Database(clean_db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if "finding" in repr(d)]
    assert ours == []
    db.dispose()


def test_same_id_updates_only_when_strictly_newer(clean_db):
    store = SqlFindingRepository(Database(clean_db))
    assert _upsert(store, finding(count=1)).outcome == "new"
    newer = finding(count=7, severity="high", updated_at="2026-01-02T00:00:00.000Z", last_seen="2026-01-02T00:00:00.000Z")
    change = _upsert(store, newer)
    assert change.outcome == "updated" and change.finding.revision == 2
    assert (change.finding.count, change.finding.severity, change.finding.last_seen) == \
        (7, "high", "2026-01-02T00:00:00.000Z")
    older = finding(count=99, severity="low", updated_at="2026-01-01T12:00:00.000Z")
    assert _upsert(store, older).outcome == "unchanged"
    assert _upsert(store, newer).outcome == "unchanged"  # a redelivery of the same copy
    stored = store.by_finding_id("f-1")
    assert (stored.count, stored.severity, stored.revision) == (7, "high", 2)
    assert store.count() == 1


def test_racing_writers_of_one_id_make_one_row(clean_db):
    """Two workers (two engines, as two processes would have) ingest the same finding at once."""
    engines = [Database(clean_db) for _ in range(4)]
    outcomes, barrier = [], threading.Barrier(8)

    def work(i):
        barrier.wait()
        outcomes.append(_upsert(SqlFindingRepository(engines[i % 4]), finding(id="race")).outcome)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["new"] + ["unchanged"] * 7
    assert SqlFindingRepository(engines[0]).count() == 1
    for db in engines:
        db.dispose()


def test_text_with_nul_bytes_is_stored(clean_db):
    store = SqlFindingRepository(Database(clean_db))
    _upsert(store, finding(title="bad\x00title", type="T\x00"))
    stored = store.by_finding_id("f-1")
    assert stored.title == "bad\ufffdtitle" and stored.type == "T\ufffd"


def test_snooze_extends_and_expires(clean_db):
    store = SqlFindingRepository(Database(clean_db))
    stored = _upsert(store, finding()).finding
    store.snooze(scope="type", finding=stored, until=NOW + timedelta(hours=1), by="U1", at=NOW)
    store.snooze(scope="type", finding=stored, until=NOW + timedelta(days=1), by="U2", at=NOW)
    with store.ingest(NOW) as tx:
        assert tx.snoozed_until(stored) == NOW + timedelta(days=1)
    with store.ingest(NOW + timedelta(days=2)) as tx:
        assert tx.snoozed_until(stored) is None


def test_rejections_are_kept_once_per_message_and_counted(clean_db):
    ledger = SqlIntakeRepository(Database(clean_db))
    assert ledger.reject(origin="sqs", message_id="m1", reason="not JSON", body="{{", at=NOW) is True
    assert ledger.reject(origin="sqs", message_id="m1", reason="not JSON", body="{{", at=NOW) is False
    [kept] = ledger.rejected()
    assert (kept.message_id, kept.body, kept.attempts, kept.reason) == ("m1", "{{", 2, "not JSON")


def test_cursor_only_moves_forward(clean_db):
    ledger = SqlIntakeRepository(Database(clean_db))
    assert ledger.cursor("c") is None
    ledger.set_cursor("c", "2026-01-02T00:00:00.000Z", NOW)
    ledger.set_cursor("c", "2026-01-01T00:00:00.000Z", NOW)
    assert ledger.cursor("c") == "2026-01-02T00:00:00.000Z"


def test_findings_row_keeps_the_raw_document(clean_db):
    db = Database(clean_db)
    _upsert(SqlFindingRepository(db), finding(raw={"nested": {"a": [1, 2]}}))
    with db.read() as session:
        assert session.query(FindingRow).one().raw == {"nested": {"a": [1, 2]}}
    db.dispose()


def test_a_copy_from_another_account_or_source_never_overwrites_a_finding(clean_db):
    """The same finding id from an outsider's account (or another source) is another finding:
    the real one keeps its resources, so its Contain… menu and playbook targets stay true."""
    store = SqlFindingRepository(Database(clean_db))
    real = finding(count=1)
    assert _upsert(store, real).outcome == "new"
    forged = finding(account="999999999999", count=9, updated_at="2030-01-01T00:00:00.000Z",
                     resources=[{"type": "AwsEc2Instance", "id": "i-0attacker"}])
    assert _upsert(store, forged).outcome == "new"
    other_source = finding(source="securityhub", raw_format="asff", updated_at="2030-01-01T00:00:00.000Z")
    assert _upsert(store, other_source).outcome == "new"
    assert _upsert(store, finding(count=2, updated_at="2026-01-02T00:00:00.000Z")).outcome == "updated"
    rows = {(f.source, f.account): f for f in _all(store)}
    assert rows[("guardduty", "123456789012")].resources == [{"type": "AwsEc2Instance", "id": "i-0abc"}]
    assert rows[("guardduty", "123456789012")].count == 2
    assert rows[("guardduty", "999999999999")].resources[0]["id"] == "i-0attacker"


def _all(store):
    with store.db.read() as session:
        from sqlalchemy import select

        from store.findings.rows import to_stored
        return [to_stored(r) for r in session.scalars(select(FindingRow))]


def test_the_natural_key_migration_keeps_existing_findings(tmp_path):
    """A database that had findings before findings were keyed by source + account + id."""
    from alembic import command

    from store import migrate

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = migrate._alembic_config(db)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0003")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO findings (finding_id, source, product, type, title, severity, severity_score, account, "
            "region, resources, indicators, tags, raw, raw_format, updated_at, count, status, activity, revision, "
            "slack_revision, received_at, changed_at) VALUES ('f-1', 'guardduty', 'guardduty', 't', 'old', "
            "'low', 1.0, '123456789012', 'us-east-1', '[]', '{}', '{}', '{}', 'guardduty', "
            "'2026-01-01T00:00:00.000Z', 1, 'open', '[]', 1, 0, '2026-01-01', '2026-01-01')")
    migrate.upgrade(db)
    store = SqlFindingRepository(db)
    assert _upsert(store, finding(updated_at="2026-06-01T00:00:00.000Z")).outcome == "updated"
    assert _upsert(store, finding(account="999999999999")).outcome == "new"
    db.dispose()


def test_a_new_finding_whose_id_holds_nul_is_known_the_second_time(clean_db):
    """A batch tells new findings from stored ones by their keys, NUL and all."""
    db = Database(clean_db)
    if not db.is_sqlite:
        db.dispose()
        pytest.skip("PostgreSQL refuses NUL in text: such an id is refused there, as it always was")
    store = SqlFindingRepository(db)
    odd = finding(id="odd\x00id")
    for outcome in ("new", None):
        with store.ingest(NOW) as tx:
            [change] = tx.upsert_many([odd])
            assert (change.outcome if change else None) == outcome
            if change is None:
                assert tx.upsert(odd).outcome == "unchanged"
    assert store.count() == 1
    db.dispose()


def test_the_chat_bookkeeping_claims_once_and_lists_what_chat_does_not_show(clean_db):
    """What core/findings/delivery.py relies on (tests/support/delivery.py fakes the same rules)."""
    db = Database(clean_db)
    store, state = SqlFindingRepository(db), SqlFindingStateRepository(db)
    with store.ingest(NOW) as tx:
        routed = tx.place(tx.upsert(finding(id="routed")).finding, status="open", channel="CTRIAGE")
        tx.place(tx.upsert(finding(id="suppressed")).finding, status="suppressed")
        digest = tx.claim_window("default", "CTRIAGE", NOW, after=0)
        tx.place(tx.upsert(finding(id="grouped")).finding, status="open", digest_id=digest.id)
    pk = routed.pk
    assert [f.finding_id for f in state.unshown()[0]] == ["routed"] and [d.id for d in state.unshown()[1]] == [digest.id]

    claim = state.claim("finding", pk, "a", NOW)
    assert claim and state.is_claim(claim) and state.claim("finding", pk, "b", NOW) is None
    assert state.claims() == [PostingClaim("finding", pk, claim, NOW.replace(microsecond=0))]
    state.release("finding", pk, "claim:0:someone-else")  # not this claim: kept
    assert state.claim("finding", pk, "b", NOW) is None
    state.release("finding", pk, claim)
    again = state.claim("finding", pk, "b", NOW + timedelta(seconds=5))
    state.posted("finding", pk, again, "C0TRIAGE", "1.000001", 1)
    shown = store.get(pk)
    assert (shown.slack_channel, shown.slack_ts, shown.slack_revision) == ("C0TRIAGE", "1.000001", 1)
    assert state.claims() == [] and state.claim("finding", pk, "c", NOW) is None  # posted stays posted
    assert state.unshown()[0] == []

    state.shown("digest", digest.id, 1)
    state.shown("digest", digest.id, 0)  # an older edit finishing late never moves it back
    assert store.digest(digest.id).slack_revision == 1 and state.unshown() == ([], [])
    db.dispose()
