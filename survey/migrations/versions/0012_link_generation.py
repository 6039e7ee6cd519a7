"""A corrected address retires the link mailed to the old one: invitations count their links

Revision ID: 0012
Revises: 0011

Every existing invitation is at generation 0, whose token is the one it was mailed with, so
no link in a sent mail changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not a batch: SQLite adds the column in place, keeping the table WITHOUT ROWID.
    op.add_column("invitations", sa.Column("link_generation", sa.Integer(), nullable=False,
                                           server_default="0"))


def downgrade() -> None:
    # Links of a later generation stop working: their token is no longer derivable.
    op.drop_column("invitations", "link_generation")
