"""AWS cases linked to incidents (Support, Security Incident Response) and the messages
synced with them.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_aws_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),  # support | security-ir
        sa.Column("case_id", sa.String(100)),
        sa.Column("state", sa.String(20), nullable=False),  # opening | open | failed | resolved
        sa.Column("status", sa.String(60)),
        sa.Column("severity", sa.String(20)),
        sa.Column("opened_by", sa.String(80)),
        sa.Column("error", sa.Text),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        # One case of each kind per incident: a second `/incident aws-support` finds the first.
        sa.UniqueConstraint("incident_id", "kind", name="uq_incident_aws_cases_kind"),
    )
    op.create_table(
        "aws_case_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_row_id", sa.Integer, sa.ForeignKey("incident_aws_cases.id", ondelete="CASCADE"),
                  nullable=False),
        # in: a message of the case shown in the channel (comment id, or a digest of a Support
        # communication); out: something Firebreak sent (note:<timeline entry>, reply:<act>).
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_row_id", "key", name="uq_aws_case_messages_key"),
    )


def downgrade() -> None:
    op.drop_table("aws_case_messages")
    op.drop_table("incident_aws_cases")
