"""The audit chain's head anchored in S3 (core.audit.ports.Anchor): one object per anchored
head, `<prefix>head-<seq, 12 digits>.json` holding {seq, hash, at, prev, mac}, never
overwritten. Meant for a bucket with S3 Object Lock: with `retain_days` each object is put
under retention (ObjectLockMode + ObjectLockRetainUntilDate), so neither a database writer
nor Firebreak's own credentials can remove an anchor before it expires.

The anchors form a chain of their own: `prev` is the SHA-256 of the previous anchor object's
bytes and `mac` an HMAC of the object with FIREBREAK_AUDIT_KEY. `latest()` does not trust
the highest key: it checks that object's MAC and its link to the one before it, and raises
AnchorBroken otherwise, so an object someone added with a higher seq (Object Lock stops
deletion, not additions) is named instead of believed. The clock checks the top anchor
before each put, so every anchor was checked when it was the latest. Anchors written before
this scheme (no `prev`) are accepted only below the first linked one.

Every call names the bucket's owner (ExpectedBucketOwner): Firebreak's own account, asked
once, so a bucket of the same name elsewhere is never trusted."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from aws.errors import aws_errors
from aws.sessions import AwsSessions
from core.audit.chain import Anchored, AuditKey
from core.audit.config import AnchorConfig
from core.errors import FirebreakError

NAME = "head-"


class AnchorBroken(FirebreakError):
    """The latest anchor object is not one Firebreak wrote after the one before it."""


def _canonical(data: dict) -> bytes:
    return json.dumps({k: v for k, v in data.items() if k != "mac"}, sort_keys=True).encode()


class S3Anchor:
    def __init__(self, sessions: AwsSessions, config: AnchorConfig, key: AuditKey | None = None):
        if not config.s3_bucket:
            raise ValueError("audit.anchor.s3_bucket is not set")
        self.sessions = sessions
        self.config = config
        self.bucket = config.s3_bucket
        self.prefix = config.s3_prefix
        self.audit_key = key
        self._owner: str | None = None

    def _client(self) -> Any:
        return self.sessions.client("s3", region=self.config.region)

    def _expected(self) -> dict:
        if self._owner is None:
            with aws_errors("sts"):
                self._owner = self.sessions.client("sts", region=self.config.region).get_caller_identity()["Account"]
        return {"ExpectedBucketOwner": self._owner}

    def key(self, seq: int) -> str:
        return f"{self.prefix}{NAME}{seq:012d}.json"

    def put(self, head: Anchored) -> str:
        top = self._top_two()
        previous = self._read(top[-1]) if top else None
        data = {"seq": head.seq, "hash": head.hash, "at": head.at.isoformat(),
                "prev": hashlib.sha256(previous).hexdigest() if previous is not None else ""}
        if self.audit_key is not None:
            data["mac"] = self.audit_key.mac(_canonical(data))
        extra: dict[str, Any] = {}
        if self.config.retain_days:
            extra = {"ObjectLockMode": self.config.retain_mode,
                     "ObjectLockRetainUntilDate": head.at + timedelta(days=self.config.retain_days)}
        key = self.key(head.seq)
        with aws_errors("s3"):
            self._client().put_object(Bucket=self.bucket, Key=key, Body=json.dumps(data, sort_keys=True).encode(),
                                      ContentType="application/json", ServerSideEncryption="AES256",
                                      ChecksumAlgorithm="SHA256", **extra, **self._expected())
        return f"s3://{self.bucket}/{key}"

    def latest(self) -> Anchored | None:
        """The anchor with the highest seq, once its MAC and its link to the one before hold."""
        top = self._top_two()
        if not top:
            return None
        raw = self._read(top[-1])
        data = json.loads(raw)
        where = f"s3://{self.bucket}/{top[-1]}"
        if top[-1] != self.key(int(data["seq"])):
            raise AnchorBroken(f"anchor {where} says it is entry {data['seq']}: not written by Firebreak")
        if "prev" in data:
            self._check_mac(where, data)
            below = self._read(top[0]) if len(top) == 2 else None
            expected = hashlib.sha256(below).hexdigest() if below is not None else ""
            if not hmac.compare_digest(str(data["prev"]), expected):
                raise AnchorBroken(f"anchor {where} does not follow {top[0] if below is not None else 'nothing'}: "
                                   "an object was added to the anchor bucket that Firebreak did not chain")
        elif self._linked(top[0] if len(top) == 2 else None):
            raise AnchorBroken(f"anchor {where} has no link to the anchor before it, which has one: not written by "
                               "Firebreak")
        return Anchored(int(data["seq"]), str(data["hash"]), datetime.fromisoformat(data["at"]))

    def _check_mac(self, where: str, data: dict) -> None:
        if self.audit_key is None:
            return  # nothing to check it with (check-config warns about running without a key)
        if "mac" not in data or not hmac.compare_digest(str(data["mac"]), self.audit_key.mac(_canonical(data))):
            raise AnchorBroken(f"anchor {where} is not keyed with FIREBREAK_AUDIT_KEY: not written by Firebreak")

    def _linked(self, key: str | None) -> bool:
        return key is not None and "prev" in json.loads(self._read(key))

    def _top_two(self) -> list[str]:
        """The keys of the two highest anchors, lowest first (keys sort by seq)."""
        keys: list[str] = []
        with aws_errors("s3"):
            for page in self._client().get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=self.prefix + NAME, **self._expected()):
                keys = sorted(keys + [item["Key"] for item in page.get("Contents", [])])[-2:]
        return keys

    def _read(self, key: str) -> bytes:
        with aws_errors("s3"):
            return self._client().get_object(Bucket=self.bucket, Key=key, **self._expected())["Body"].read()
