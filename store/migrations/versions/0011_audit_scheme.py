"""The audit chain records how each entry was hashed: "sha256" (every entry so far) or
"hmac-sha256" (keyed with FIREBREAK_AUDIT_KEY), so old entries stay verifiable.

Revision ID: 0011
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0004"  # the audit tables' own migration; other branches merge via `upgrade heads`
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("scheme", sa.String(16), nullable=False, server_default="sha256"))


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("scheme")
