"""The export log: who exported which round's microdata, in which format, free text or not

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("who", sa.String(length=320), nullable=False),
        sa.Column("exported_on", sa.Date(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=4), nullable=False),
        sa.Column("free_text", sa.Boolean(), nullable=False),
        sa.CheckConstraint("format IN ('csv', 'xlsx', 'sav', 'dta')", name="export_log_format"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_log_round_id", "export_log", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_export_log_round_id", table_name="export_log")
    op.drop_table("export_log")
