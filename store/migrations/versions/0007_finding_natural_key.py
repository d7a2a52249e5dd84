"""Findings keyed by source + account + id: a finding from one origin never overwrites another's.

Revision ID: 0007
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("findings", sa.Column("natural_key", sa.String(700), nullable=True))
    op.execute("UPDATE findings SET natural_key = source || '|' || COALESCE(account, '') || '|' || finding_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE findings DROP CONSTRAINT IF EXISTS findings_finding_id_key")
        op.alter_column("findings", "natural_key", nullable=False)
    else:  # SQLite: the table is rebuilt; its unnamed UNIQUE(finding_id) gets a name to drop
        with op.batch_alter_table("findings", recreate="always",
                                  naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}) as batch:
            batch.drop_constraint("uq_findings_finding_id", type_="unique")
            batch.alter_column("natural_key", existing_type=sa.String(700), nullable=False)
    op.create_index("uq_findings_natural_key", "findings", ["natural_key"], unique=True)
    op.create_index("ix_findings_finding_id", "findings", ["finding_id"])


def downgrade() -> None:
    op.drop_index("ix_findings_finding_id", "findings")
    op.drop_index("uq_findings_natural_key", "findings")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("natural_key")
        batch.create_unique_constraint("uq_findings_finding_id", ["finding_id"])
