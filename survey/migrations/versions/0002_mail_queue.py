"""Administration: per-round mail texts and the send queue (mailings, deliveries)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_templates",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("subject_sv", sa.String(length=200), nullable=False),
        sa.Column("subject_en", sa.String(length=200), nullable=False),
        sa.Column("body_sv", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('invitation', 'reminder')", name="mail_template_kind"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"]),
        sa.PrimaryKeyConstraint("round_id", "kind"),
    )
    op.create_table(
        "mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('invitation', 'reminder')", name="mailing_kind"),
        sa.CheckConstraint("number >= 1", name="mailing_number"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "kind", "number", name="mailing_round_kind_number"),
    )
    op.create_index("ix_mailings_round_id", "mailings", ["round_id"])
    op.create_table(
        "deliveries",
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_code", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed', 'bounced', 'uncertain')",
            name="delivery_state",
        ),
        sa.CheckConstraint("attempts >= 0", name="delivery_attempts"),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"]),
        sa.ForeignKeyConstraint(["mailing_id"], ["mailings.id"]),
        sa.PrimaryKeyConstraint("mailing_id", "invitation_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_deliveries_invitation_id", "deliveries", ["invitation_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_invitation_id", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_mailings_round_id", table_name="mailings")
    op.drop_table("mailings")
    op.drop_table("mail_templates")
