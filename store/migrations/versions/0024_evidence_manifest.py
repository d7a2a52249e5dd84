"""Evidence manifest: the chain of custody of what `/evidence` collected (one row per item).

Revision ID: 0024
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0011"  # after the audit chain it appends to; other branches merge via `upgrade heads`
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("containment_requests.id"), nullable=False),
        sa.Column("request_label", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("location", sa.String(1400), nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("region", sa.String(30), nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("size", sa.BigInteger),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("approved_by", sa.String(80)),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON),
        # One row per item of a request: recording twice (a retry, a resumed run) adds nothing.
        sa.UniqueConstraint("request_id", "location", name="uq_evidence_items_request_location"),
    )
    op.create_index("ix_evidence_items_incident_id", "evidence_items", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_items_incident_id", table_name="evidence_items")
    op.drop_table("evidence_items")
