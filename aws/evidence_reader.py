"""Reads collected evidence back for `bot.py evidence verify`: the exact S3 object version,
hashed in full (streamed), and an EBS snapshot's tags. Read-only; in another account through
the configured role, like the actions."""

from __future__ import annotations

import hashlib
from typing import Callable

from botocore.exceptions import ClientError, FlexibleChecksumError

from aws.errors import aws_errors
from aws.sessions import AwsSessions
from core.evidence.ports import Reading

GONE = ("NoSuchKey", "NoSuchVersion", "NoSuchBucket", "404", "InvalidSnapshot.NotFound")
CHUNK = 8 * 1024 * 1024


def sha256_of(body) -> tuple[str, int]:
    """SHA-256 hex and size of a streaming body, read in chunks (memory images are large)."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: body.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class AwsEvidenceReader:
    def __init__(self, sessions: AwsSessions, owner_of: Callable[[str], str | None] = lambda account: account):
        self.sessions = sessions
        self.owner_of = owner_of  # the evidence bucket's owner for an account (ExpectedBucketOwner)

    def _client(self, service: str, account: str, region: str):
        return self.sessions.client(service, account=account, region=region, session_name="firebreak-evidence-verify")

    def object_sha256(self, *, account: str, region: str, bucket: str, key: str,
                      version_id: str | None) -> Reading | None:
        s3 = self._client("s3", account, region)
        try:
            with aws_errors("s3"):
                owner = self.owner_of(account)
                found = s3.get_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}),
                                      **({"ExpectedBucketOwner": owner} if owner else {}))
        except Exception as exc:  # noqa: BLE001 - only "it is gone" is an answer; the rest propagates
            if _code(exc) in GONE:
                return None
            raise
        try:
            digest, size = sha256_of(found["Body"])
        except FlexibleChecksumError as exc:  # botocore checks the bytes against S3's stored checksum
            return Reading(None, None, f"the bytes no longer match S3's own stored checksum ({exc})")
        return Reading(digest, size)

    def snapshot_tags(self, *, account: str, region: str, snapshot_id: str) -> dict[str, str] | None:
        ec2 = self._client("ec2", account, region)
        try:
            with aws_errors("ec2"):
                found = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        except Exception as exc:  # noqa: BLE001
            if _code(exc) in GONE:
                return None
            raise
        return {t["Key"]: t["Value"] for t in found[0].get("Tags", [])} if found else None


def _code(exc: Exception) -> str | None:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return getattr(exc, "code", None)
