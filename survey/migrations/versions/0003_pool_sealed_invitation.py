"""The pool keeps its invitation id sealed, so a flush costs O(pool), not O(invitations)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Pool entries are short-lived; one written before this revision cannot be flushed
    # without its sealed id, so the (development-only) pool is emptied.
    op.execute("DELETE FROM submission_pool")
    with op.batch_alter_table("submission_pool", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_invitation", sa.LargeBinary(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("submission_pool", schema=None) as batch_op:
        batch_op.drop_column("sealed_invitation")
