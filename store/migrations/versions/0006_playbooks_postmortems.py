"""Playbook progress and postmortem answers on incidents; action items.

Revision ID: 0006
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("playbook", sa.String(80)))
        batch.add_column(sa.Column("playbook_state", sa.JSON))
        batch.add_column(sa.Column("postmortem", sa.JSON))
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner", sa.String(80)),
        sa.Column("due", sa.Date),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.String(80)),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_action_items_incident_id", "action_items", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_action_items_incident_id", "action_items")
    op.drop_table("action_items")
    with op.batch_alter_table("incidents") as batch:
        for column in ("postmortem", "playbook_state", "playbook"):
            batch.drop_column(column)
