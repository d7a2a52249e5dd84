"""Drop the Slack request ledger: retries are caught by the durable job's natural key
(jobs.key, unique) since 0009, and nothing has written to this table since.

Revision ID: 0025
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0001"  # the table's own migration; other branches merge via `upgrade heads`
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_slack_requests_received_at", table_name="slack_requests")
    op.drop_table("slack_requests")


def downgrade() -> None:
    op.create_table(
        "slack_requests",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_requests_received_at", "slack_requests", ["received_at"])
