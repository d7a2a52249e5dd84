"""Containment: what an open or in-effect request covers (core.containment.duplicates), unique
so that two requests for the same action and target cannot both be filed, even at the same
moment on two replicas. NULL (not covering) is allowed any number of times.

Revision ID: 0026_covers
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0026_covers"
down_revision = "0010"  # the containment table's last change; other branches merge via `upgrade heads`
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("containment_requests") as batch:
        batch.add_column(sa.Column("covers", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_containment_requests_covers", ["covers"])


def downgrade() -> None:
    with op.batch_alter_table("containment_requests") as batch:
        batch.drop_constraint("uq_containment_requests_covers", type_="unique")
        batch.drop_column("covers")
