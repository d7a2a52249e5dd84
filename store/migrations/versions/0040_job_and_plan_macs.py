"""Seals made with a key outside the database (core/integrity.py): each job's MAC, and each
response request's plan, approval and memory MACs. Rows from before have none: with
FIREBREAK_AUDIT_KEY set they are refused (README, "Upgrading": drain the queue first).

Revision ID: 0040
Revises: 0009, 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = ("0009", "0010")  # the jobs and containment tables; other branches merge via `upgrade heads`
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))
    with op.batch_alter_table("containment_requests") as batch:
        batch.add_column(sa.Column("seal", sa.String(64), nullable=True))
        batch.add_column(sa.Column("approval_seal", sa.String(64), nullable=True))
        batch.add_column(sa.Column("memory_seal", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("containment_requests") as batch:
        batch.drop_column("memory_seal")
        batch.drop_column("approval_seal")
        batch.drop_column("seal")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("mac")
