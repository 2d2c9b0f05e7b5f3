"""solve job leases: a job held by a process carries the time its lease runs out, renewed as it
works, so a job whose process died is found and marked failed

Revision ID: c3d81e5a0f27
Revises: 56f5c00545a0
Create Date: 2026-12-02 03:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d81e5a0f27'
down_revision = '56f5c00545a0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
