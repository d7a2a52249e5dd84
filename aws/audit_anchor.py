"""The audit chain's head anchored in S3 (core.audit.ports.Anchor): one object per anchored
head, `<prefix>head-<seq, 12 digits>.json` holding {seq, hash, at}, never overwritten. Meant
for a bucket with S3 Object Lock: with `retain_days` each object is put under retention
(ObjectLockMode + ObjectLockRetainUntilDate), so neither a database writer nor Firebreak's
own credentials can remove an anchor before it expires."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from aws.errors import aws_errors
from aws.sessions import AwsSessions
from core.audit.chain import Anchored
from core.audit.config import AnchorConfig

NAME = "head-"


class S3Anchor:
    def __init__(self, sessions: AwsSessions, config: AnchorConfig):
        if not config.s3_bucket:
            raise ValueError("audit.anchor.s3_bucket is not set")
        self.sessions = sessions
        self.config = config
        self.bucket = config.s3_bucket
        self.prefix = config.s3_prefix

    def _client(self) -> Any:
        return self.sessions.client("s3", region=self.config.region)

    def key(self, seq: int) -> str:
        return f"{self.prefix}{NAME}{seq:012d}.json"

    def put(self, head: Anchored) -> str:
        body = json.dumps({"seq": head.seq, "hash": head.hash, "at": head.at.isoformat()}, sort_keys=True)
        extra: dict[str, Any] = {}
        if self.config.retain_days:
            extra = {"ObjectLockMode": self.config.retain_mode,
                     "ObjectLockRetainUntilDate": head.at + timedelta(days=self.config.retain_days)}
        key = self.key(head.seq)
        with aws_errors("s3"):
            self._client().put_object(Bucket=self.bucket, Key=key, Body=body.encode(),
                                      ContentType="application/json", ServerSideEncryption="AES256",
                                      ChecksumAlgorithm="SHA256", **extra)
        return f"s3://{self.bucket}/{key}"

    def latest(self) -> Anchored | None:
        """The anchor with the highest seq (keys sort by seq: it is the last one listed)."""
        client = self._client()
        last = None
        with aws_errors("s3"):
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                         Prefix=self.prefix + NAME):
                for item in page.get("Contents", []):
                    if last is None or item["Key"] > last:
                        last = item["Key"]
            if last is None:
                return None
            data = json.loads(client.get_object(Bucket=self.bucket, Key=last)["Body"].read())
        return Anchored(int(data["seq"]), str(data["hash"]), datetime.fromisoformat(data["at"]))
