"""Residue that outlived a round: respondents' sessions belong to their round, and PostgreSQL
keeps no planner statistics on columns that name a person or a link

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: table -> (column, type): ANALYZE copies sample values of a column into pg_statistic, where
#: neither deleting the rows nor VACUUM FULL nor a later ANALYZE of the emptied table removes
#: them (docs/anonymity.md). Statistics target 0 stops the sampling; changing the column to
#: its own type removes what was sampled before.
PERSONAL_COLUMNS = {
    "invitations": (("id", "varchar(32)"), ("email", "varchar(320)"),
                    ("token_hash", "varchar(64)")),
    "deliveries": (("invitation_id", "varchar(32)"),),
    "submission_pool": (("marker", "varchar(64)"),),
    "drafts": (("id", "varchar(64)"),),
    "sessions": (("id", "varchar(64)"),),
}


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sessions_round_id_rounds", "rounds", ["round_id"], ["id"])
        batch.create_index("ix_sessions_round_id", ["round_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in PERSONAL_COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {name} SET STATISTICS 0, "
                            f"ALTER COLUMN {name} TYPE {kind}" for name, kind in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in PERSONAL_COLUMNS.items():
            changes = ", ".join(f"ALTER COLUMN {name} SET STATISTICS -1" for name, _ in columns)
            op.execute(f"ALTER TABLE {table} {changes}")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_round_id")
        batch.drop_constraint("fk_sessions_round_id_rounds", type_="foreignkey")
        batch.drop_column("round_id")
