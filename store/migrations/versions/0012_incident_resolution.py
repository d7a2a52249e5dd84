"""How an incident ended: resolved normally (NULL), as a false positive, or cancelled.

Revision ID: 0012
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("resolution", sa.String(40)))
        batch.add_column(sa.Column("resolution_reason", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("resolution_reason")
        batch.drop_column("resolution")
