"""Incidents, timeline entries and handled Slack request keys.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(40), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("phase", sa.String(40), nullable=False),
        sa.Column("declared_by", sa.String(80), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin_channel", sa.String(80)),
        sa.Column("channel_id", sa.String(80), unique=True),
        sa.Column("dedup_key", sa.String(200), unique=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(80)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("dedup_key", sa.String(200), unique=True),
    )
    op.create_index("ix_timeline_incident_at", "timeline_entries", ["incident_id", "at", "id"])
    op.create_table(
        "slack_requests",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_requests_received_at", "slack_requests", ["received_at"])


def downgrade() -> None:
    op.drop_table("slack_requests")
    op.drop_index("ix_timeline_incident_at", "timeline_entries")
    op.drop_table("timeline_entries")
    op.drop_table("incidents")
