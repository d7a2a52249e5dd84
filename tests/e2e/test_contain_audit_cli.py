"""`python bot.py audit verify`: the count when the chain holds, exit 1 naming the first
bad entry after someone edits, rewrites or cuts the chain in the database; and
`check-config` warns while no audit key is set."""

import hashlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select, update

from core.audit.chain import audit_key
from store.containment.repository import SqlContainmentRepository
from store.audit.repository import SqlAuditRepository
from store.containment.models import AuditEntryRow, AuditHeadRow
from store.db import Database
from tests.support.cli import run_bot

pytestmark = pytest.mark.slow

KEY = "e2e-audit-key-0123456789abcdef0123456789"
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def bot(*args, database_url, key=None, config=None):
    env = {"DATABASE_URL": database_url, **({"FIREBREAK_AUDIT_KEY": key} if key else {})}
    options = ["--config", str(config)] if config else []
    return run_bot(*options, *args, env=env)


def verify(database_url, key=None, config=None):
    return bot("audit", "verify", database_url=database_url, key=key, config=config)


def fill(db, key=None, n=5):
    store = SqlContainmentRepository(db, SqlAuditRepository(db, audit_key(key)))
    for i in range(n):
        store.record(None, {"event": "aws-call", "call": f"ec2:Call{i}"}, AT)


def test_audit_verify_counts_and_names_the_first_broken_link(clean_db):
    db = Database(clean_db)
    fill(db)
    result = verify(clean_db)
    assert result.returncode == 0 and "Audit chain intact: 5 entries." in result.stdout, result.stderr
    assert "keyed: no" in result.stdout
    with db.session() as session:
        session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 3)
                        .values(body=AuditEntryRow.body + " "))
    db.dispose()
    result = verify(clean_db)
    assert result.returncode == 1
    assert "audit chain broken at entry 3: entry 3 was changed after it was written" in result.stderr


def test_a_keyed_chain_rewritten_without_the_key_fails_verify(clean_db):
    db = Database(clean_db)
    fill(db, KEY)
    result = verify(clean_db, KEY)
    assert result.returncode == 0 and "keyed: yes" in result.stdout, result.stderr
    assert KEY not in result.stdout + result.stderr
    previous = "0" * 64
    with db.session() as session:  # rewrite entry 1, re-hash all of them with plain SHA-256
        for row in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)):
            if row.seq == 1:
                row.body = row.body.replace("ec2:Call0", "ec2:DescribeInstances")
            row.prev_hash, row.scheme = previous, "sha256"
            row.hash = previous = hashlib.sha256(f"{previous}\n{row.body}".encode()).hexdigest()
            session.flush()
        session.execute(update(AuditHeadRow).values(seq=5, hash=previous))
    result = verify(clean_db, KEY)
    assert result.returncode == 1 and "audit chain broken at entry 1: entry 1 and the 4 after it are unkeyed" \
        in result.stderr, result.stderr
    assert "Audit chain intact" not in result.stdout


def test_a_cut_tail_with_the_head_moved_back_fails_verify_against_the_s3_anchor(clean_db, moto_endpoint, tmp_path):
    import boto3

    from aws.audit_anchor import S3Anchor
    from aws.sessions import AwsSessions
    from core.audit.chain import Anchored, AuditKey
    from core.audit.config import AnchorConfig
    from core.settings import load_settings

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="fb-anchors", ObjectLockEnabledForBucket=True)
    config = tmp_path / "mine.yaml"
    config.write_text("audit:\n  anchor:\n    s3_bucket: fb-anchors\n    retain_days: 1\n")
    db = Database(clean_db)
    fill(db, KEY)
    head = SqlAuditRepository(db).head()
    S3Anchor(AwsSessions(load_settings(config, environ={}).config.aws),  # what the clock's sweep does
             AnchorConfig(s3_bucket="fb-anchors", retain_days=1),
             AuditKey(KEY)).put(Anchored(*head, datetime.now(timezone.utc)))
    result = verify(clean_db, KEY, config)
    assert result.returncode == 0 and "anchor: entry 5 of" in result.stdout, result.stderr
    with db.session() as session:
        third = session.scalar(select(AuditEntryRow).where(AuditEntryRow.seq == 3))
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq > 3))
        session.execute(update(AuditHeadRow).values(seq=3, hash=third.hash))
    db.dispose()
    result = verify(clean_db, KEY, config)
    assert result.returncode == 1
    assert "audit chain broken at entry 4: entries after 3 were removed (the anchor of" in result.stderr, result.stderr


def test_a_deleted_head_row_fails_verify(clean_db):
    db = Database(clean_db)
    fill(db, KEY, 3)
    with db.session() as session:
        session.execute(delete(AuditHeadRow))
    db.dispose()
    result = verify(clean_db, KEY)
    assert result.returncode == 1 and "audit chain broken at entry 4: the chain's head row is missing" \
        in result.stderr, result.stderr


def test_seal_covers_entries_from_before_the_key(clean_db):
    db = Database(clean_db)
    fill(db, None, 2)
    db.dispose()
    assert verify(clean_db, KEY).returncode == 1  # unkeyed entries and a key: unsealed
    sealed = bot("audit", "seal", database_url=clean_db, key=KEY)
    assert sealed.returncode == 0 and "entry 3" in sealed.stdout, sealed.stderr
    result = verify(clean_db, KEY)
    assert result.returncode == 0 and "Audit chain intact: 3 entries." in result.stdout, result.stderr


def test_check_config_says_without_an_audit_key_a_database_writer_acts_as_any_responder(clean_db):
    without = bot("check-config", database_url=clean_db)
    assert without.returncode == 0
    assert "warning: NO AUDIT KEY (FIREBREAK_AUDIT_KEY is not set): a database writer can act as any " \
           "responder" in without.stdout
    assert "can rewrite, truncate or delete the audit chain undetected" in without.stdout
    with_key = bot("check-config", database_url=clean_db, key=KEY)
    assert with_key.returncode == 0 and "NO AUDIT KEY" not in with_key.stdout
    assert KEY not in with_key.stdout + with_key.stderr
