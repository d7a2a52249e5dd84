"""Communications: stakeholder notifications sent, pages and their state, regulatory clocks.

Revision ID: 0020
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stakeholder_notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        # Natural key (an automatic notice per timeline entry and audience, a Slack act for a
        # manual one): a retry or a second replica records and sends nothing twice.
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("audience", sa.String(80), nullable=False),
        sa.Column("trigger", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(80)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),  # sending | sent | failed
        sa.Column("detail", sa.JSON),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_stakeholder_notices_incident_id", "stakeholder_notices", ["incident_id"])
    op.create_table(
        "incident_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(80)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("incident_id", "target", name="uq_incident_pages_target"),
    )
    op.create_table(
        "regulatory_clocks",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("regime", sa.String(40), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True)),
        sa.Column("met_by", sa.String(80)),
    )


def downgrade() -> None:
    op.drop_table("regulatory_clocks")
    op.drop_table("incident_pages")
    op.drop_index("ix_stakeholder_notices_incident_id", "stakeholder_notices")
    op.drop_table("stakeholder_notices")
