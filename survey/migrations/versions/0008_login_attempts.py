"""Login throttling per account, client and pair in a table of its own

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Counted by atomic upserts (survey/auth/throttle.py): the per-user counter it replaces
    # was read, incremented and written back, so parallel guesses each saw a low count.
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.CheckConstraint("attempts >= 1", name="login_attempts_attempts"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_attempts_account", "login_attempts", ["account"])
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("user_failed_logins", type_="check")
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("user_failed_logins", "failed_logins >= 0")
    op.drop_index("ix_login_attempts_account", table_name="login_attempts")
    op.drop_table("login_attempts")
