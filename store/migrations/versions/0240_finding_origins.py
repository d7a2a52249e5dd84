"""Findings remember each format they arrived in (origins, for write-back), and a GuardDuty
finding stored from its ASFF or OCSF copy is keyed on GuardDuty's own finding id, as the
native copy is, so the three copies are one finding.

Revision ID: 0240
Revises: 0007
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0240"
down_revision = "0007"  # the natural key's migration; other branches merge via `upgrade heads`
branch_labels = None
depends_on = None

_GUARDDUTY_FINDING = re.compile(r"/finding/([^/]+)$")


def upgrade() -> None:
    op.add_column("findings", sa.Column("origins", sa.JSON(), nullable=True))
    bind = op.get_bind()
    findings = sa.table("findings", sa.column("pk", sa.Integer), sa.column("natural_key", sa.String),
                        sa.column("source", sa.String), sa.column("account", sa.String),
                        sa.column("finding_id", sa.String))
    rows = bind.execute(sa.select(findings.c.pk, findings.c.account, findings.c.finding_id).where(
        findings.c.source == "guardduty", findings.c.finding_id.like("arn:%/finding/%"))).all()
    taken = {key for key, in bind.execute(sa.select(findings.c.natural_key).where(findings.c.source == "guardduty"))}
    for pk, account, finding_id in rows:
        match = _GUARDDUTY_FINDING.search(finding_id)
        key = f"guardduty|{account or ''}|{match.group(1)}" if match else None
        if key and key not in taken:  # a native copy stored beside it keeps its own row
            bind.execute(sa.update(findings).where(findings.c.pk == pk).values(natural_key=key))
            taken.add(key)


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("origins")
