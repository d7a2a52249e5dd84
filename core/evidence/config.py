"""The `evidence:` configuration: where `/evidence` keeps what it collects (an S3 Object Lock
bucket in compliance mode), how disks are re-encrypted and shared, and how memory is taken.

Safe by default: no bucket (collecting into S3 is refused until one is named), no memory
document (collect-memory refused), no account to share snapshots with (--share refused)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from core.validators import Strict

BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
# The IAM policy grants object writes only on buckets named so (iam/firebreak-policy.json).
BUCKET_CONVENTION = "firebreak-evidence-"
# ... and SSM SendCommand only of documents named so (plus AWS-RunPatchBaseline for /remediate).
DOCUMENT_CONVENTION = "firebreak-"


class EvidenceConfig(Strict):
    # The Object Lock (COMPLIANCE default retention) bucket every collected object goes to.
    bucket: str | None = Field(default=None, pattern=BUCKET)
    # Per AWS account (12 digits → bucket), for an estate that keeps evidence per account.
    buckets: dict[str, str] = Field(default_factory=dict)
    # KMS key (id, ARN or alias) encrypted snapshots are copied with, so they can be shared.
    kms_key_id: str | None = Field(default=None, min_length=1, max_length=2048)
    # The SSM Command document collect-memory runs with parameters Bucket and Prefix: yours,
    # named firebreak-* (deploy/evidence-documents.yaml ships one running AVML). Never a
    # generic shell document: Firebreak can send only the documents the IAM policy names, and
    # cannot write documents, so what runs on an instance is what you deployed. null: refused.
    memory_document: str | None = Field(default=None, pattern=r"^[\w.-]{3,128}$")
    # How long collect-memory waits for the SSM command, and collect-disk for a snapshot to
    # complete before copying it (backoff up to this).
    wait_seconds: int = Field(default=300, ge=0, le=3600)
    # The account --share may name; `share_accounts` lists more. Any other is refused.
    forensics_account: str | None = Field(default=None, pattern=r"^\d{12}$")
    share_accounts: list[str] = Field(default_factory=list)
    # collect-logs copies at most this many objects per request (narrow --hours beyond that).
    max_log_objects: int = Field(default=500, ge=1, le=10000)
    # The account that owns `bucket`, sent with every call as ExpectedBucketOwner so a bucket
    # of that name in someone else's account is never written to or read from. null: the
    # account acted in. Each of `buckets` is owned by the account it is listed under.
    bucket_owner: str | None = Field(default=None, pattern=r"^\d{12}$")
    # The shortest Object Lock COMPLIANCE default retention an evidence bucket may have; each
    # plan refuses a bucket that keeps evidence for less.
    min_retention_days: int = Field(default=365, ge=1, le=36500)
    # ... and no object larger than this (bytes): it is streamed, never held whole in memory,
    # and one beyond the cap is recorded as skipped, not copied.
    max_log_object_bytes: int = Field(default=256 * 1024 * 1024, ge=1024, le=5 * 1024 ** 3)
    # Your log archive: the buckets (e.g. the Log Archive account's) where trails, flow logs
    # and access logs should deliver. Where logs go is chosen inside the target account, which
    # an intruder there can change; a location outside this list is flagged in the plan and
    # in the manifest. Empty: every location is flagged as unverified.
    log_archive_buckets: list[str] = Field(default_factory=list)

    @field_validator("buckets")
    @classmethod
    def _buckets(cls, buckets: dict[str, str]) -> dict[str, str]:
        bad = [a for a in buckets if not re.fullmatch(r"\d{12}", str(a))]
        if bad:
            raise ValueError(f"account ids are 12 digits, got {bad}")
        names = [b for b in buckets.values() if not re.fullmatch(BUCKET, str(b))]
        if names:
            raise ValueError(f"not S3 bucket names: {names}")
        return buckets

    @field_validator("log_archive_buckets")
    @classmethod
    def _archive(cls, names: list[str]) -> list[str]:
        bad = [n for n in names if not re.fullmatch(BUCKET, str(n))]
        if bad:
            raise ValueError(f"not S3 bucket names: {bad}")
        return names

    @field_validator("share_accounts")
    @classmethod
    def _accounts(cls, accounts: list[str]) -> list[str]:
        bad = [a for a in accounts if not re.fullmatch(r"\d{12}", str(a))]
        if bad:
            raise ValueError(f"account ids are 12 digits, got {bad}")
        return accounts

    @model_validator(mode="after")
    def _share(self) -> "EvidenceConfig":
        if self.share_accounts and not self.forensics_account:
            raise ValueError("share_accounts needs forensics_account (the usual destination) set too")
        return self

    def bucket_for(self, account: str | None) -> str | None:
        """The evidence bucket for objects collected in `account`."""
        return self.buckets.get(str(account)) or self.bucket if account else self.bucket

    def owner_of(self, account: str | None) -> str | None:
        """The ExpectedBucketOwner of the evidence bucket for objects collected in `account`."""
        if account and str(account) in self.buckets:
            return str(account)
        return self.bucket_owner or account

    def may_share_with(self, account: str) -> bool:
        return account == self.forensics_account or account in self.share_accounts

    def warnings(self) -> list[str]:
        """What `check-config` says: what cannot be checked before the first collection."""
        found = []
        named = list(dict.fromkeys(b for b in [self.bucket, *self.buckets.values()] if b))
        if named:
            found.append("evidence bucket(s) " + ", ".join(named) + ": Object Lock (COMPLIANCE default retention) "
                         "cannot be checked without AWS; each collection's plan checks it and refuses without it.")
        off = [b for b in named if not b.startswith(BUCKET_CONVENTION)]
        if off:
            found.append(f"evidence bucket(s) {', '.join(off)} do not start with {BUCKET_CONVENTION}: the shipped "
                         "IAM policy does not let Firebreak write there.")
        if self.memory_document and not self.memory_document.startswith(DOCUMENT_CONVENTION):
            found.append(f"evidence.memory_document {self.memory_document} does not start with "
                         f"{DOCUMENT_CONVENTION}: the shipped IAM policy lets Firebreak send only its own documents, "
                         "so collect-memory will be refused with AccessDenied.")
        if self.share_accounts:
            found.append("evidence.share_accounts lets collect-disk --share give disk snapshots to "
                         f"{', '.join(self.share_accounts)} besides the forensics account {self.forensics_account}.")
        return found
