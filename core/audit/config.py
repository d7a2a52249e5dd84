"""The `audit:` section: where the chain's head is anchored outside the database."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.validators import Strict


class AnchorConfig(Strict):
    # Off while s3_bucket is null. Meant for a bucket with S3 Object Lock, so that nobody with
    # the database (or Firebreak's own credentials) can delete or replace an anchored head.
    s3_bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    s3_prefix: str = Field(default="firebreak-audit/", max_length=200)
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")  # null: aws.default_region
    # Object Lock retention of each anchor object (null: the bucket's default retention, if any).
    retain_days: int | None = Field(default=None, ge=1, le=36500)
    retain_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "COMPLIANCE"
    interval_seconds: int = Field(default=300, ge=10, le=86400)


class AuditConfig(Strict):
    anchor: AnchorConfig = Field(default_factory=AnchorConfig)
    # With FIREBREAK_AUDIT_KEY set, the chain's head (MAC'd) is also kept in this file, outside
    # the database: null puts it next to a SQLite database, else under var/. Keep it on storage
    # the database's writers cannot reach.
    head_file: str | None = Field(default=None, max_length=500)


def audit_warnings(audit_key: str | None) -> list[str]:
    """What `check-config` says about the key that binds the database to Firebreak: the audit
    chain, its head file, and the seals on jobs and response requests (core/integrity.py)."""
    if not audit_key:
        return ["NO AUDIT KEY (FIREBREAK_AUDIT_KEY is not set): a database writer can act as any responder "
                "(a job or a response request written straight into the database runs as whoever it names), "
                "and can rewrite, truncate or delete the audit chain undetected. Set FIREBREAK_AUDIT_KEY "
                "(a long random string, e.g. `openssl rand -hex 32`) in the environment of every process, "
                "and anchor the head with audit.anchor.s3_bucket."]
    if len(audit_key) < 32:
        return ["FIREBREAK_AUDIT_KEY is shorter than 32 characters: use a long random key "
                "(e.g. `openssl rand -hex 32`)."]
    return []
