"""No submission date; a closed round keeps its mail counts per stratum, not per person

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A day on a response, read next to who was reminded when, names its author
    # (docs/anonymity.md); the round's dates are the only time kept.
    for table in ("responses", "submission_pool"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("submitted_on")
    op.create_table(
        "mail_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name="mail_total_count"),
        sa.ForeignKeyConstraint(["mailing_id"], ["mailings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_totals_mailing_id", "mail_totals", ["mailing_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_totals_mailing_id", table_name="mail_totals")
    op.drop_table("mail_totals")
    for table in ("responses", "submission_pool"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))
