"""The audit chain's head anchored in S3 with Object Lock (moto): the clock's sweep writes one
locked object per head, `audit verify` reads the latest, and a cut tail is caught by it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import delete, select, update

from aws.audit_anchor import AnchorBroken, S3Anchor
from aws.sessions import AwsSessions
from core.audit import service as audit
from core.audit.chain import Anchored, AuditKey
from core.audit.config import AnchorConfig
from core.nulls import NoAnchor, NoNotices, NoPager
from core.scheduling.registry import default_registry
from core.settings import load_settings
from store.containment.repository import SqlContainmentRepository
from store.containment.models import AuditEntryRow, AuditHeadRow
from tests.support.fakes import fake_services

BUCKET = "firebreak-audit-anchors"
KEY = "anchor-test-key-0123456789abcdef01234567"
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def locked_bucket(moto_inprocess):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    return s3


def anchor(key=None, **config):
    return S3Anchor(AwsSessions(load_settings(environ={}).config.aws), AnchorConfig(s3_bucket=BUCKET, **config),
                    AuditKey(key) if key else None)


def forge(s3, seq, **fields):
    """What someone with write access to the bucket (Firebreak's credentials) can add."""
    s3.put_object(Bucket=BUCKET, Key=f"firebreak-audit/head-{seq:012d}.json",
                  Body=json.dumps({"seq": seq, "hash": "f" * 64, "at": AT.isoformat(), **fields}).encode())


def test_an_anchor_added_with_a_higher_seq_but_without_the_key_is_named_not_believed(locked_bucket):
    """Issue 22, item 15: latest() trusted the highest key. The forgery even links to the real
    latest anchor (its bytes are readable); without FIREBREAK_AUDIT_KEY it cannot be keyed."""
    keyed = anchor(KEY)
    keyed.put(Anchored(5, "a" * 64, AT))
    real = locked_bucket.get_object(Bucket=BUCKET, Key="firebreak-audit/head-000000000005.json")["Body"].read()
    assert keyed.latest() == Anchored(5, "a" * 64, AT)
    forge(locked_bucket, 999, prev=hashlib.sha256(real).hexdigest(), mac="0" * 64)
    with pytest.raises(AnchorBroken, match="head-000000000999.json is not keyed with FIREBREAK_AUDIT_KEY"):
        keyed.latest()


def test_an_anchor_that_does_not_follow_the_one_before_is_named(locked_bucket):
    plain = anchor()  # no key: the link is what is left to check
    plain.put(Anchored(1, "a" * 64, AT))
    plain.put(Anchored(2, "b" * 64, AT))
    forge(locked_bucket, 7, prev="0" * 64)
    with pytest.raises(AnchorBroken, match="head-000000000007.json does not follow"):
        plain.latest()


def test_an_unlinked_anchor_above_a_linked_one_is_named_and_old_unlinked_ones_still_read(locked_bucket):
    forge(locked_bucket, 1)  # written before anchors were chained: still the latest, still read
    assert anchor().latest() == Anchored(1, "f" * 64, AT)
    anchor().put(Anchored(2, "b" * 64, AT))
    assert anchor().latest().seq == 2
    forge(locked_bucket, 3)
    with pytest.raises(AnchorBroken, match="has no link to the anchor before it"):
        anchor().latest()


def test_every_anchor_call_names_firebreaks_own_account_as_the_bucket_owner(locked_bucket):
    """moto ignores ExpectedBucketOwner, so the test records what is sent (botocore builds it
    into the x-amz-expected-bucket-owner header, per the S3 model)."""
    s3anchor = anchor()
    client = s3anchor._client()
    sent = []
    client.meta.events.register("before-call.s3", lambda params, model, **_: sent.append(
        (model.name, params["headers"].get("x-amz-expected-bucket-owner"))))
    s3anchor._client = lambda: client
    s3anchor.put(Anchored(1, "a" * 64, AT))
    s3anchor.latest()
    assert {name for name, _ in sent} == {"ListObjectsV2", "GetObject", "PutObject"}
    assert {owner for _, owner in sent} == {"123456789012"}


def test_each_head_is_its_own_object_under_object_lock_retention(locked_bucket):
    s3anchor = anchor(s3_prefix="audit/", retain_days=30)
    assert s3anchor.latest() is None
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for seq in (9, 10, 2):
        s3anchor.put(Anchored(seq, f"{seq:064x}", now))
    assert s3anchor.latest() == Anchored(10, f"{10:064x}", now)  # by seq, not by text order or time
    key = "audit/head-000000000010.json"
    nine = locked_bucket.get_object(Bucket=BUCKET, Key="audit/head-000000000009.json")["Body"].read()
    assert json.loads(locked_bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read()) == \
        {"seq": 10, "hash": f"{10:064x}", "at": now.isoformat(), "prev": hashlib.sha256(nine).hexdigest()}
    head = locked_bucket.head_object(Bucket=BUCKET, Key=key)  # (moto's GetObjectRetention answers 500)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == now + timedelta(days=30)
    version = locked_bucket.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"][0]["VersionId"]
    with pytest.raises(ClientError) as refused:  # nobody with write access to the bucket removes it early
        locked_bucket.delete_object(Bucket=BUCKET, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_without_retain_days_no_lock_headers_are_sent(locked_bucket):
    anchor().put(Anchored(1, "a" * 64, AT))
    head = locked_bucket.head_object(Bucket=BUCKET, Key="firebreak-audit/head-000000000001.json")
    assert "ObjectLockMode" not in head


def test_the_clock_anchors_the_head_and_verify_catches_a_cut_tail(locked_bucket, clean_db, clock, tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"audit:\n  anchor:\n    s3_bucket: {BUCKET}\n    retain_days: 1\n    interval_seconds: 60\n")
    settings = load_settings(mine, environ={"DATABASE_URL": clean_db, "FIREBREAK_AUDIT_KEY": KEY})
    services = fake_services(settings, clock)
    try:
        assert isinstance(services.anchor, S3Anchor)  # wired by the composition root
        sweep = default_registry(services, NoNotices(), NoPager(), "clock-1").get("audit-anchor")
        assert sweep is not None and sweep.every_seconds == 60
        assert sweep.run(services) == 0  # an empty chain: nothing to anchor
        store = SqlContainmentRepository(services.db, services.repos.audit)
        for n in range(5):
            store.record(None, {"event": "aws-call", "call": f"ec2:Call{n}"}, clock.now())
        assert sweep.run(services) == 1 and sweep.run(services) == 0  # only when the head moved
        assert audit.check(services).anchored.seq == 5
        with services.db.session() as session:
            third = session.scalar(select(AuditEntryRow).where(AuditEntryRow.seq == 3))
            session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq > 3))
            session.execute(update(AuditHeadRow).values(seq=3, hash=third.hash))
        verdict = audit.check(services)
        assert (verdict.ok, verdict.broken_at) == (False, 4) and "removed" in verdict.reason
        assert sweep.run(services) == 0  # the moved-back head is not anchored over the real one
    finally:
        services.drain()


def test_no_anchor_sweep_unless_a_bucket_is_configured(settings, clock):
    services = fake_services(settings, clock)
    try:
        assert isinstance(services.anchor, NoAnchor)  # the root's null object: nothing anchored, nowhere
        assert default_registry(services, NoNotices(), NoPager(), "clock-1").get("audit-anchor") is None
    finally:
        services.drain()
