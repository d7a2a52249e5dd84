"""Containment: the note a decision carries (why a request was denied).

Revision ID: 0010
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("containment_requests", sa.Column("decision_note", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("containment_requests") as batch:
        batch.drop_column("decision_note")
