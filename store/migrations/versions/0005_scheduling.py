"""Scheduler: the leader lease, the ledger of reminders and escalations, APScheduler's jobs.

Revision ID: 0005
Revises: 0004, 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = ("0004", "0006")  # merges the heads present when this was written
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scheduled_notices",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE")),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("holder", sa.String(200)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_scheduled_notices_incident_id", "scheduled_notices", ["incident_id"])
    # The table APScheduler 3's SQLAlchemyJobStore expects (same columns and types).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25)),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_index("ix_scheduled_notices_incident_id", "scheduled_notices")
    op.drop_table("scheduled_notices")
    op.drop_table("scheduler_leases")
