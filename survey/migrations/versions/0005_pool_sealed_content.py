"""The pool keeps answers and stratum sealed with the round's link key

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CLEAR = ("municipality", "group", "unit", "answers")


def upgrade() -> None:
    # An entry written before this revision cannot be sealed here (that needs the instance
    # secret); as in 0003, the short-lived, development-only pool is emptied.
    op.execute("DELETE FROM submission_pool")
    with op.batch_alter_table("submission_pool", schema=None) as batch_op:
        for column in CLEAR:
            batch_op.drop_column(column)
        batch_op.add_column(sa.Column("sealed_content", sa.LargeBinary(), nullable=False))


def downgrade() -> None:
    op.execute("DELETE FROM submission_pool")
    with op.batch_alter_table("submission_pool", schema=None) as batch_op:
        batch_op.drop_column("sealed_content")
        batch_op.add_column(sa.Column("municipality", sa.String(length=100), nullable=False))
        batch_op.add_column(sa.Column("group", sa.String(length=100), nullable=False))
        batch_op.add_column(sa.Column("unit", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=False))
