"""peer-challenge rounds: the organiser's choice of how many days ahead milestone reminders go

Revision ID: b1d0c2a7e915
Revises: 5b1f0c2d9e47
Create Date: 2026-12-07 07:25:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b1d0c2a7e915"
down_revision = "5b1f0c2d9e47"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "peer_challenge_round",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "reminder_days BETWEEN 1 AND 60",
            name=op.f("ck_peer_challenge_round_reminder_days_range"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_peer_challenge_round_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_peer_challenge_round")),
    )


def downgrade():
    op.drop_table("peer_challenge_round")
