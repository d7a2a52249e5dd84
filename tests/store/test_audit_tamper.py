"""The audit chain against a database writer (issue 10 item 8), on the test database (SQLite,
or PostgreSQL with DATABASE_URL): each attack is named by `check` as broken; and the acts that
reach AWS or change who may act outside containment land on the chain."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import delete, func, select, text, update

from core.incidents import service as incidents, lifecycle, roles
from core.audit import service as audit
from core.audit.chain import Anchored
from core.findings import triage
from core.findings.pipeline import ingest
from core.nulls import NoAnchor, NoWriteBack
from core.settings import load_settings
from store.containment.repository import SqlContainmentRepository
from store.audit.repository import HeadMissing
from store.containment.models import AuditEntryRow, AuditHeadRow
from store.db import Database
from store.findings.repository import SqlFindingRepository
from tests.support.fakes import fake_services
from tests.support.findings import finding

KEY = "test-audit-key-0123456789abcdef0123456789"
ALICE, BOB = "U0ALICE", "U0BOB"


class MemoryAnchor:
    """core.audit.ports.Anchor kept in a list (the S3 one is tested with moto in tests/aws)."""

    def __init__(self):
        self.heads: list[Anchored] = []

    def put(self, head):
        self.heads.append(head)
        return f"memory:{head.seq}"

    def latest(self):
        return max(self.heads, key=lambda h: h.seq, default=None)


@pytest.fixture
def keyed(clean_db, clock):
    settings = load_settings(environ={"DATABASE_URL": clean_db, "FIREBREAK_AUDIT_KEY": KEY})
    services = fake_services(settings, clock, anchor=MemoryAnchor())
    yield services
    services.drain()


def unkeyed(clean_db, clock, anchor=None):
    anchor = anchor or NoAnchor()
    return fake_services(load_settings(environ={"DATABASE_URL": clean_db}), clock, anchor=anchor)


def fill(services, n=5):
    """n containment audit entries, the way the containment store appends them."""
    store = SqlContainmentRepository(services.db, services.repos.audit)
    for i in range(n):
        store.record(None, {"event": "aws-call", "call": f"ec2:Call{i}"}, services.clock.now())


def rows(db: Database) -> list[AuditEntryRow]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))


# --------------------------------------------------------------------------- attacks


def test_an_untouched_keyed_chain_is_intact_and_keyed(keyed):
    fill(keyed)
    assert audit.anchor_head(keyed) == 1
    verdict = audit.check(keyed)
    assert verdict.ok and verdict.count == 5 and verdict.anchored.seq == 5
    assert {r.scheme for r in rows(keyed.db)} == {"hmac-sha256"}
    assert KEY not in json.dumps([r.body for r in rows(keyed.db)])  # the key is never stored


def test_cutting_the_tail_and_moving_the_head_back_is_broken(keyed):
    fill(keyed)
    audit.anchor_head(keyed)  # the clock's sweep anchored entry 5
    kept = rows(keyed.db)[2]
    with keyed.db.session() as session:
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq > 3))
        session.execute(update(AuditHeadRow).values(seq=3, hash=kept.hash))
    verdict = audit.check(keyed)
    assert (verdict.ok, verdict.broken_at) == (False, 4)
    assert "entries after 3 were removed" in verdict.reason and "anchor" in verdict.reason
    assert audit.anchor_head(keyed) == 0  # a head behind the anchor is never anchored over it


def test_deleting_the_head_row_is_broken_and_stops_appends(keyed):
    fill(keyed)
    with keyed.db.session() as session:
        session.execute(delete(AuditHeadRow))
    verdict = audit.check(keyed)
    assert (verdict.ok, verdict.broken_at) == (False, 6) and "head row is missing" in verdict.reason
    with pytest.raises(HeadMissing):  # not a second chain starting again at 1
        audit.record(keyed, {"event": "after-the-deletion"})
    assert len(rows(keyed.db)) == 5


def test_rewriting_and_rehashing_entry_1_without_the_key_is_broken(keyed):
    fill(keyed)
    previous = "0" * 64
    with keyed.db.session() as session:  # the writer rewrites entry 1 and re-hashes the whole chain
        for row in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)):
            if row.seq == 1:
                row.body = row.body.replace("ec2:Call0", "ec2:DescribeInstances")
            row.prev_hash = previous
            row.hash = hashlib.sha256(f"{previous}\n{row.body}".encode()).hexdigest()
            row.scheme = "sha256"
            previous = row.hash
            session.flush()
        session.execute(update(AuditHeadRow).values(seq=5, hash=previous))
    verdict = audit.check(keyed)
    assert (verdict.ok, verdict.broken_at) == (False, 1) and "unkeyed" in verdict.reason


def test_rewriting_and_rehashing_an_unkeyed_chain_is_caught_by_the_anchor(clean_db, clock):
    anchor = MemoryAnchor()
    services = unkeyed(clean_db, clock, anchor)
    try:
        fill(services)
        audit.anchor_head(services)
        previous = "0" * 64
        with services.db.session() as session:
            for row in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)):
                if row.seq == 1:
                    row.body = row.body.replace("ec2:Call0", "ec2:DescribeInstances")
                row.prev_hash, previous = previous, hashlib.sha256(f"{previous}\n{row.body}".encode()).hexdigest()
                row.hash = previous
                session.flush()
            session.execute(update(AuditHeadRow).values(seq=5, hash=previous))
        verdict = audit.check(services)
        assert (verdict.ok, verdict.broken_at) == (False, 5) and "anchored" in verdict.reason
    finally:
        services.drain()


def test_editing_a_body_is_broken(keyed):
    fill(keyed)
    with keyed.db.session() as session:
        session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 3)
                        .values(body=func.replace(AuditEntryRow.body, "ec2:Call2", "ec2:Nothing")))
    verdict = audit.check(keyed)
    assert (verdict.ok, verdict.broken_at) == (False, 3) and "changed after it was written" in verdict.reason


# ------------------------------------------------------------------ old entries, key


def test_entries_from_before_the_key_stay_verifiable_and_are_sealed(clean_db, clock):
    services = unkeyed(clean_db, clock)
    try:
        fill(services, 3)
        assert {r.scheme for r in rows(services.db)} == {"sha256"}
    finally:
        services.drain()
    keyed = fake_services(load_settings(environ={"DATABASE_URL": clean_db, "FIREBREAK_AUDIT_KEY": KEY}), clock)
    try:
        unsealed = audit.check(keyed)  # a key, but nothing keyed yet: indistinguishable from a downgrade
        assert unsealed.broken_at == 1 and "audit seal" in unsealed.reason
        assert audit.seal(keyed) == 4
        verdict = audit.check(keyed)
        assert verdict.ok and verdict.count == 4
        assert [r.scheme for r in rows(keyed.db)] == ["sha256"] * 3 + ["hmac-sha256"]
    finally:
        keyed.drain()


def test_a_row_written_before_the_migration_reads_as_unkeyed(clean_db, clock):
    """Rows inserted without the new column (as 0004's schema wrote them) default to sha256."""
    services = unkeyed(clean_db, clock)
    try:
        fill(services, 1)
        [row] = rows(services.db)
        with services.db.session() as session:
            session.execute(delete(AuditEntryRow))
            session.execute(text("INSERT INTO audit_entries (seq, request_id, body, prev_hash, hash) "
                                 "VALUES (:seq, NULL, :body, :prev, :hash)"),
                            {"seq": 1, "body": row.body, "prev": row.prev_hash, "hash": row.hash})
        assert rows(services.db)[0].scheme == "sha256" and audit.check(services).ok
    finally:
        services.drain()


# ------------------------------------------------------------------------- coverage


def events(services) -> list[dict]:
    return [json.loads(r.body) for r in services.repos.audit.records()]


def test_role_and_severity_changes_are_on_the_chain(keyed):
    incident = incidents.declare(keyed, title="Miner on web-1", declared_by=ALICE, severity="sev1").incident
    cfg = keyed.config.incidents
    incidents.apply(keyed, incident.id, lambda current, at: roles.assign(cfg, current, "commander", BOB, ALICE),
                    actor=ALICE)
    incidents.apply(keyed, incident.id, lambda current, at: lifecycle.set_severity(cfg, current, "sev3", BOB),
                    actor=BOB)
    incidents.apply(keyed, incident.id, lambda current, at: lifecycle.note(cfg, current, "looking", BOB), actor=BOB)
    role, severity = events(keyed)
    assert role["event"] == "incident-role" and role["incident"] == incident.id
    assert (role["role"], role["previous"], role["user"], role["actor"]) == ("commander", ALICE, BOB, ALICE)
    assert severity["event"] == "incident-severity"
    assert (severity["previous"], severity["severity"], severity["actor"]) == ("sev1", "sev3", BOB)
    assert audit.check(keyed).ok


def test_a_dismissal_written_back_to_aws_is_on_the_chain(keyed):
    ingest(keyed, [finding()])
    stored = SqlFindingRepository(keyed.db).by_finding_id("f-1")
    triage.dismiss(keyed, stored.pk, ALICE, "our own scanner")
    [event] = events(keyed)
    assert event["event"] == "finding-dismissed" and event["finding"] == "f-1"
    assert (event["account"], event["by"], event["reason"], event["written_back"]) == \
        ("123456789012", ALICE, "our own scanner", True)
    assert audit.check(keyed).ok


def test_without_a_write_back_a_dismissal_is_recorded_in_firebreak_only(clean_db, clock):
    services = fake_services(load_settings(environ={"DATABASE_URL": clean_db}), clock, writeback=NoWriteBack())
    try:
        ingest(services, [finding()])
        stored = SqlFindingRepository(services.db).by_finding_id("f-1")
        dismissed = triage.dismiss(services, stored.pk, ALICE, "our own scanner")
        [event] = events(services)
        assert (event["written_back"], event["result"]) == (
            False, "recorded in Firebreak only (no AWS write-back configured)")
        assert dismissed.status == "dismissed" and "recorded in Firebreak only" in dismissed.activity[-1]["text"]
    finally:
        services.drain()


def test_a_refused_write_back_adds_nothing(keyed):
    ingest(keyed, [finding()])
    stored = SqlFindingRepository(keyed.db).by_finding_id("f-1")
    keyed.writeback.fail = RuntimeError("AccessDenied")
    with pytest.raises(RuntimeError):
        triage.dismiss(keyed, stored.pk, ALICE, "noise")
    assert events(keyed) == []
