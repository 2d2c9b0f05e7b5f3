"""mail links from PUBLIC_URL only: drop outgoing_mail.base_url

Links in mail were built on the address of the request that queued the message, which its sender
chose (the Host header). They are now built on the configured PUBLIC_URL alone.

Revision ID: c41d2e7a9b10
Revises: 5b1fa3b3b5c1
Create Date: 2026-12-02 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d2e7a9b10'
down_revision = '5b1fa3b3b5c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_column('base_url')


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_url', sa.String(length=300), nullable=True))
