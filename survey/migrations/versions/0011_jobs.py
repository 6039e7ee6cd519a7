"""Background jobs: close, send-out and import run outside the web request

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ACTIVE = "state IN ('waiting', 'running')"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('close', 'send', 'import')", name="job_kind"),
        sa.CheckConstraint("state IN ('waiting', 'running', 'done', 'failed')",
                           name="job_state"),
        sa.CheckConstraint("done >= 0", name="job_done"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jobs_round_id", "jobs", ["round_id"])
    op.create_index("ix_jobs_one_active", "jobs", ["round_id", "kind"], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_index("ix_jobs_one_active", table_name="jobs")
    op.drop_index("ix_jobs_round_id", table_name="jobs")
    op.drop_table("jobs")
