"""Tables of the findings intake. Natural keys are unique (finding id, snooze scope, digest
window, SQS message id), so at-least-once delivery and replicas side by side cannot
duplicate anything; the schema is owned by migration 0003."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_incident", "incident_id"), Index("ix_findings_digest", "digest_id"),
                      Index("ix_findings_status", "status"), Index("ix_findings_finding_id", "finding_id"),
                      Index("uq_findings_natural_key", "natural_key", unique=True))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # source|account|id: a producer's id is unique only within its source and account, so a
    # copy from elsewhere (another account's topic, a forged event) never overwrites this one.
    natural_key: Mapped[str] = mapped_column(String(700))
    finding_id: Mapped[str] = mapped_column(String(512))
    source: Mapped[str] = mapped_column(String(80))
    product: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))
    severity_score: Mapped[float] = mapped_column(Float)
    account: Mapped[str | None] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(40))
    resources: Mapped[list] = mapped_column(JSON)
    indicators: Mapped[dict] = mapped_column(JSON)
    tags: Mapped[dict] = mapped_column(JSON)
    raw: Mapped[dict] = mapped_column(JSON)
    raw_format: Mapped[str] = mapped_column(String(40))
    first_seen: Mapped[str | None] = mapped_column(String(40))
    last_seen: Mapped[str | None] = mapped_column(String(40))
    # The finding's own UpdatedAt in one sortable text format: an update is applied only
    # when it is strictly newer, so redeliveries and out-of-order copies change nothing.
    updated_at: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # open | suppressed | snoozed | dismissed
    route: Mapped[str | None] = mapped_column(String(80))
    channel: Mapped[str | None] = mapped_column(String(80))  # where its own message goes; None: not shown
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    slack_ts: Mapped[str | None] = mapped_column(String(80))  # message ts, or a posting claim
    thread_ts: Mapped[str | None] = mapped_column(String(40))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("finding_digests.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    activity: Mapped[list] = mapped_column(JSON)  # who did what, shown on the message
    # Slack shows revision `slack_revision`; anything newer is still to be sent.
    revision: Mapped[int] = mapped_column(Integer)
    slack_revision: Mapped[int] = mapped_column(Integer)
    # The formats this finding arrived in, each with what write-back needs (NULL before 0240)
    origins: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class FindingIndicatorRow(Base):
    __tablename__ = "finding_indicators"
    __table_args__ = (Index("ix_finding_indicators_value", "kind", "value"),)

    finding_pk: Mapped[int] = mapped_column(ForeignKey("findings.pk", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(512), primary_key=True)


class FindingDigestRow(Base):
    """One route's findings in one channel during one time window."""

    __tablename__ = "finding_digests"
    __table_args__ = (UniqueConstraint("route", "channel", "window_start", name="uq_finding_digest_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    route: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(80))
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    individual: Mapped[int] = mapped_column(Integer)  # findings of the window posted one by one
    size: Mapped[int] = mapped_column(Integer)  # findings grouped into the digest
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    slack_ts: Mapped[str | None] = mapped_column(String(80))
    revision: Mapped[int] = mapped_column(Integer)
    slack_revision: Mapped[int] = mapped_column(Integer)


class FindingSnoozeRow(Base):
    """Key: sha256 of the scope (one finding, or a type on a resource) - ids can be long ARNs."""

    __tablename__ = "finding_snoozes"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # finding | type
    finding_type: Mapped[str | None] = mapped_column(Text)
    resource: Mapped[str | None] = mapped_column(Text)
    finding_id: Mapped[str | None] = mapped_column(Text)
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FindingRejectionRow(Base):
    """Input that held no finding (poison SQS messages, bad HTTP bodies), kept with its reason."""

    __tablename__ = "finding_rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(20))  # sqs | sns | eventbridge | cli | securityhub
    message_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FindingCursorRow(Base):
    """Where a polling source stopped (Security Hub UpdatedAt), so the next run continues."""

    __tablename__ = "finding_cursors"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
