"""mentoring repairs: when each pair was published, members whose partner left after, and
check-ins whose pair at risk the organisers were emailed about

Revision ID: 5b1f0c2d9e47
Revises: 5f2c8a1d7e93
Create Date: 2026-12-07 07:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b1f0c2d9e47"
down_revision = "5f2c8a1d7e93"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mentoring_pair", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("programme_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_left_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("mentoring_check_in", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("organisers_told_at", sa.DateTime(timezone=True), nullable=True)
        )
    # The pairs of programmes published already were published with them.
    op.execute(
        "UPDATE mentoring_pair SET published_at = (SELECT programme.published_at FROM programme"
        " WHERE programme.id = mentoring_pair.programme_id AND programme.status = 'published')"
    )


def downgrade():
    with op.batch_alter_table("mentoring_check_in", schema=None) as batch_op:
        batch_op.drop_column("organisers_told_at")
    with op.batch_alter_table("programme_member", schema=None) as batch_op:
        batch_op.drop_column("partner_left_at")
    with op.batch_alter_table("mentoring_pair", schema=None) as batch_op:
        batch_op.drop_column("published_at")
