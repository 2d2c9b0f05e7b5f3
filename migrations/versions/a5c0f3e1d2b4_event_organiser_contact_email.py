"""event.contact_email: the organisers' contact address, on the event page and in every message

Existing events get the address of one of their organisers (the lowest user id), so each event
has a contact from the start.

Revision ID: a5c0f3e1d2b4
Revises: e42e3ef69b1b
Create Date: 2026-12-07 03:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5c0f3e1d2b4'
down_revision = 'e42e3ef69b1b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False)
        )
    op.execute(
        'UPDATE event SET contact_email = COALESCE(('
        ' SELECT "user".email FROM event_organiser'
        ' JOIN "user" ON "user".id = event_organiser.user_id'
        ' WHERE event_organiser.event_id = event.id'
        ' ORDER BY "user".id LIMIT 1), \'\')'
    )


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('contact_email')
