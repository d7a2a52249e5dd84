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
    _cover_existing()
    with op.batch_alter_table("containment_requests") as batch:
        batch.create_unique_constraint("uq_containment_requests_covers", ["covers"])


def _cover_existing() -> None:
    """Requests open or in effect before this migration cover their targets from now on; of
    duplicates filed before the rule existed, the oldest holds the key."""
    from core.containment.duplicates import cover_key
    from core.containment.catalog import SPECS

    table = sa.table("containment_requests", sa.column("id", sa.Integer), sa.column("action", sa.String),
                     sa.column("target", sa.String), sa.column("account", sa.String), sa.column("region", sa.String),
                     sa.column("options", sa.JSON), sa.column("state", sa.String), sa.column("dry_run", sa.Boolean),
                     sa.column("undo_of", sa.Integer), sa.column("covers", sa.String))
    bind = op.get_bind()
    taken = set()
    for row in bind.execute(sa.select(table).order_by(table.c.id)).mappings():
        spec = SPECS.get(row["action"])
        holding = row["state"] in ("requested", "approved", "executing") or (
            row["state"] == "succeeded" and spec is not None and spec.undoable)
        if row["undo_of"] is not None or row["dry_run"] or not holding:
            continue
        key = cover_key(row["action"], row["target"], row["account"], row["region"], row["options"] or {})
        if key not in taken:
            taken.add(key)
            bind.execute(sa.update(table).where(table.c.id == row["id"]).values(covers=key))


def downgrade() -> None:
    with op.batch_alter_table("containment_requests") as batch:
        batch.drop_constraint("uq_containment_requests_covers", type_="unique")
        batch.drop_column("covers")
