"""Personal jobs: a researcher's microdata export runs as a job that belongs to its owner

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACTIVE = "state IN ('waiting', 'running')"
SHARED_ACTIVE = f"{ACTIVE} AND owner_id IS NULL"
PERSONAL_ACTIVE = f"{ACTIVE} AND owner_id IS NOT NULL"


def upgrade() -> None:
    # Partial indexes are dropped and made again outside the batch: SQLite's table copy
    # would reflect them without their WHERE.
    op.drop_index("ix_jobs_one_active", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_jobs_owner_id_users", "users", ["owner_id"], ["id"])
        batch.drop_constraint("job_kind", type_="check")
        batch.create_check_constraint("job_kind",
                                      "kind IN ('close', 'send', 'import', 'export')")
    op.create_index("ix_jobs_one_active", "jobs", ["round_id", "kind"], unique=True,
                    sqlite_where=sa.text(SHARED_ACTIVE),
                    postgresql_where=sa.text(SHARED_ACTIVE))
    op.create_index("ix_jobs_one_active_per_owner", "jobs", ["round_id", "kind", "owner_id"],
                    unique=True, sqlite_where=sa.text(PERSONAL_ACTIVE),
                    postgresql_where=sa.text(PERSONAL_ACTIVE))


def downgrade() -> None:
    op.drop_index("ix_jobs_one_active_per_owner", table_name="jobs")
    op.drop_index("ix_jobs_one_active", table_name="jobs")
    op.execute("DELETE FROM jobs WHERE kind = 'export'")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint("job_kind", type_="check")
        batch.create_check_constraint("job_kind", "kind IN ('close', 'send', 'import')")
        batch.drop_constraint("fk_jobs_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
    op.create_index("ix_jobs_one_active", "jobs", ["round_id", "kind"], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
