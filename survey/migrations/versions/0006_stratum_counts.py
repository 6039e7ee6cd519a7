"""A closed round keeps its invitations as counts per stratum and state

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The close's last flush pairs its few responses with the few invitations it flips
    # (docs/anonymity.md), so closing deletes the invitations and keeps these counts.
    op.create_table(
        "stratum_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name="stratum_count_count"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stratum_counts_round_id", "stratum_counts", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_stratum_counts_round_id", table_name="stratum_counts")
    op.drop_table("stratum_counts")
