"""Incident channels, summary message, phase times, and roles.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("description", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("channel_name", sa.String(80)))
        batch.add_column(sa.Column("summary_ts", sa.String(40)))
        batch.add_column(sa.Column("announce_channel", sa.String(80)))
        batch.add_column(sa.Column("announce_ts", sa.String(40)))
        batch.add_column(sa.Column("phase_times", sa.JSON))
        batch.add_column(sa.Column("last_update_at", sa.DateTime(timezone=True)))
    op.create_table(
        "incident_roles",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(80), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(80)),
    )


def downgrade() -> None:
    op.drop_table("incident_roles")
    with op.batch_alter_table("incidents") as batch:
        for column in ("last_update_at", "phase_times", "announce_ts", "announce_channel", "summary_ts",
                       "channel_name", "private", "description"):
            batch.drop_column(column)
