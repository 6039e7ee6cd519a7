"""A round names its organisation, contact person, sender address and support text

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (
    ("organisation", sa.String(length=300)),
    ("contact_name", sa.String(length=200)),
    ("contact_email", sa.String(length=320)),
    ("contact_phone", sa.String(length=50)),
    ("sender_address", sa.String(length=320)),
    ("support_sv", sa.Text()),
    ("support_en", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
