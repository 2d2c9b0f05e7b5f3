"""registrations: a consent of its own to be invited to peer challenges

Revision ID: d2f86b1c4e07
Revises: c7a4e9d03b52
Create Date: 2026-12-07 07:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d2f86b1c4e07"
down_revision = "c7a4e9d03b52"
branch_labels = None
depends_on = None


def upgrade():
    # Nobody has agreed to it yet: those who asked to hear of mentoring schemes and secondments
    # were not asked about peer challenges.
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "hear_of_peer_challenges", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("hear_of_peer_challenges")
