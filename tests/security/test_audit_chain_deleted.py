"""Issue 22 item 20(a): with FIREBREAK_AUDIT_KEY set and no anchor (the shipped defaults plus a
key), deleting or cutting the audit chain in the database is caught: the head is kept, with
its HMAC, in a file outside the database (store/audit/head_file.py), and `audit verify`
checks the chain against it. Without a key, check-config and audit verify say so loudly."""

from __future__ import annotations

import json

from sqlalchemy import delete, update

from core.audit.chain import audit_key
from store.audit.head_file import HeadFile, default_path
from store.audit.repository import SqlAuditRepository
from store.containment.models import AuditEntryRow, AuditHeadRow
from store.containment.repository import SqlContainmentRepository
from store.db import Database
from tests.e2e.test_contain_audit_cli import AT, KEY, verify

import pytest


@pytest.fixture
def filled(clean_db):
    """Five keyed entries, written as a keyed Firebreak process writes them (head file included)."""
    db = Database(clean_db)
    key = audit_key(KEY)
    store = SqlContainmentRepository(db, SqlAuditRepository(db, key, HeadFile(default_path(clean_db), key)))
    for i in range(5):
        store.record(None, {"event": "aws-call", "call": f"ec2:Call{i}"}, AT)
    yield db
    db.dispose()


def test_an_untouched_keyed_chain_verifies_against_its_head_file(filled, clean_db):
    assert json.loads(default_path(clean_db).read_text())["seq"] == 5
    result = verify(clean_db, KEY)
    assert result.returncode == 0 and "Audit chain intact: 5 entries." in result.stdout, result.stderr


def test_deleting_the_whole_chain_is_caught_with_the_key_alone(filled, clean_db):
    with filled.session() as session:
        session.execute(delete(AuditEntryRow))
        session.execute(delete(AuditHeadRow))
    result = verify(clean_db, KEY)
    assert result.returncode == 1
    assert "the whole chain was deleted" in result.stderr and "recorded entry 5" in result.stderr


def test_cutting_the_tail_and_moving_the_head_back_is_caught_with_the_key_alone(filled, clean_db):
    with filled.session() as session:
        kept = session.get(AuditEntryRow, 3)
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq > 3))
        session.execute(update(AuditHeadRow).values(seq=3, hash=kept.hash))
    result = verify(clean_db, KEY)
    assert result.returncode == 1 and "entries after 3 were removed" in result.stderr
    assert "head file" in result.stderr


def test_a_head_file_not_written_with_the_key_is_refused(filled, clean_db):
    path = default_path(clean_db)
    forged = {**json.loads(path.read_text()), "seq": 1}
    path.write_text(json.dumps(forged))
    result = verify(clean_db, KEY)
    assert result.returncode == 1 and "was not written with FIREBREAK_AUDIT_KEY" in result.stderr


def test_audit_verify_without_a_key_says_intact_means_little(clean_db):
    db = Database(clean_db)
    try:
        SqlContainmentRepository(db, SqlAuditRepository(db)).record(None, {"event": "aws-call"}, AT)
    finally:
        db.dispose()
    result = verify(clean_db)
    assert result.returncode == 0 and "Audit chain intact: 1 entries." in result.stdout
    assert "WARNING" in result.stdout and "could have rewritten or deleted the whole chain" in result.stdout
    assert not default_path(clean_db).exists(), "no head file without a key (nothing to MAC it with)"
