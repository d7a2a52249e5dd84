"""Containment: requests, the audit chain and its head.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "containment_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("undo_of", sa.Integer, sa.ForeignKey("containment_requests.id")),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("options", sa.JSON),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("region", sa.String(30), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(80)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("plan", sa.JSON),
        sa.Column("memory", sa.JSON),
        sa.Column("outcome", sa.JSON),
        sa.Column("error_code", sa.String(120)),
        sa.Column("error", sa.Text),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("message_channel", sa.String(80)),
        sa.Column("message_ts", sa.String(40)),
        sa.Column("dedup_key", sa.String(200), unique=True),
    )
    op.create_index("ix_containment_requests_incident_id", "containment_requests", ["incident_id"])
    op.create_index("ix_containment_requests_undo_of", "containment_requests", ["undo_of"])
    op.create_index("ix_containment_requests_state", "containment_requests", ["state"])
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("request_id", sa.Integer),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_audit_entries_request_id", "audit_entries", ["request_id"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_table("audit_entries")
    op.drop_table("containment_requests")
