"""Findings intake: findings, their indicators, digests, snoozes, rejected input, cursors.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_digests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("route", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("individual", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("slack_channel", sa.String(40)),
        sa.Column("slack_ts", sa.String(80)),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("slack_revision", sa.Integer, nullable=False),
        sa.UniqueConstraint("route", "channel", "window_start", name="uq_finding_digest_window"),
    )
    op.create_table(
        "findings",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("finding_id", sa.String(512), nullable=False, unique=True),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("product", sa.String(300), nullable=False),
        sa.Column("type", sa.String(300), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("severity_score", sa.Float, nullable=False),
        sa.Column("account", sa.String(40)),
        sa.Column("region", sa.String(40)),
        sa.Column("resources", sa.JSON, nullable=False),
        sa.Column("indicators", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("raw_format", sa.String(40), nullable=False),
        sa.Column("first_seen", sa.String(40)),
        sa.Column("last_seen", sa.String(40)),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("route", sa.String(80)),
        sa.Column("channel", sa.String(80)),
        sa.Column("slack_channel", sa.String(40)),
        sa.Column("slack_ts", sa.String(80)),
        sa.Column("thread_ts", sa.String(40)),
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("finding_digests.id", ondelete="SET NULL")),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="SET NULL")),
        sa.Column("activity", sa.JSON, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("slack_revision", sa.Integer, nullable=False),
    )
    op.create_index("ix_findings_incident", "findings", ["incident_id"])
    op.create_index("ix_findings_digest", "findings", ["digest_id"])
    op.create_index("ix_findings_status", "findings", ["status"])
    op.create_table(
        "finding_indicators",
        sa.Column("finding_pk", sa.Integer, sa.ForeignKey("findings.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("value", sa.String(512), primary_key=True),
    )
    op.create_index("ix_finding_indicators_value", "finding_indicators", ["kind", "value"])
    op.create_table(
        "finding_snoozes",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("finding_type", sa.Text),
        sa.Column("resource", sa.Text),
        sa.Column("finding_id", sa.Text),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_finding_snoozes_until", "finding_snoozes", ["until"])
    op.create_table(
        "finding_rejections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("message_id", sa.String(200), unique=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "finding_cursors",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("value", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("finding_cursors")
    op.drop_table("finding_rejections")
    op.drop_index("ix_finding_snoozes_until", "finding_snoozes")
    op.drop_table("finding_snoozes")
    op.drop_index("ix_finding_indicators_value", "finding_indicators")
    op.drop_table("finding_indicators")
    for name in ("ix_findings_status", "ix_findings_digest", "ix_findings_incident"):
        op.drop_index(name, "findings")
    op.drop_table("findings")
    op.drop_table("finding_digests")
