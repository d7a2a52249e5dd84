"""The deployment's chat budget (store/chat_budget.py): a row per lane (a Slack channel or
method) holding when the next send may start, a 429's pause, an urgent sender's mark, the
send in flight and a method's starts in the last minute, shared by every process.

Revision ID: 0260_chat_budget
Revises: 0240
"""
import sqlalchemy as sa
from alembic import op

revision = "0260_chat_budget"
down_revision = "0240"  # the newest head when this was written; other branches merge via `upgrade heads`
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_budget",
        sa.Column("lane", sa.String(200), primary_key=True),
        sa.Column("next_at", sa.Double(), nullable=False, server_default="0"),
        sa.Column("paused_until", sa.Double(), nullable=False, server_default="0"),
        sa.Column("urgent_until", sa.Double(), nullable=False, server_default="0"),
        sa.Column("holder", sa.String(40), nullable=True),
        sa.Column("recent", sa.JSON(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("chat_budget")
