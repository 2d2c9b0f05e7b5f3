"""unconfirmed organisation sectors: an organisation a registrant types in keeps its sector
unconfirmed until an organiser confirms it, and each registration keeps the sector its
registrant gave

Every organisation already stored is confirmed (an organiser has had it in the directory), so
nobody's sector changes; registrations already stored gave none of their own.

Revision ID: 6bd1736ceb91
Revises: c41d2e7a9b10
Create Date: 2026-12-02 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6bd1736ceb91'
down_revision = 'c41d2e7a9b10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sector_confirmed', sa.Boolean(), server_default='1', nullable=False))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sector_given', sa.String(length=100), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('sector_given')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('sector_confirmed')
