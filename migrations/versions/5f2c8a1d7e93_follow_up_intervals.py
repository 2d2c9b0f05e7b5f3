"""follow-up intervals an event's organisers choose

Revision ID: 5f2c8a1d7e93
Revises: 46b344173591
Create Date: 2026-12-07 07:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5f2c8a1d7e93"
down_revision = "46b344173591"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "follow_up_interval",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), autoincrement=False, nullable=False),
        sa.CheckConstraint(
            "months BETWEEN 1 AND 24", name=op.f("ck_follow_up_interval_months_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_follow_up_interval_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "months", name=op.f("pk_follow_up_interval")),
    )


def downgrade():
    op.drop_table("follow_up_interval")
