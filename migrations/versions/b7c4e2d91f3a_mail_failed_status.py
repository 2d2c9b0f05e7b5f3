"""mail that can never be built is marked failed

Revision ID: b7c4e2d91f3a
Revises: e4a9c17d2b06
Create Date: 2026-12-02 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c4e2d91f3a'
down_revision = 'e4a9c17d2b06'
branch_labels = None
depends_on = None

BEFORE = ('pending', 'sent', 'superseded')
AFTER = (*BEFORE, 'failed')


def _status(values):
    return sa.Enum(*values, name='mail_status', native_enum=False, create_constraint=True, length=20)


def _set_statuses(old, new):
    # The status is text with a CHECK constraint (ck_outgoing_mail_mail_status): replace it.
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.alter_column(
            'status', existing_type=_status(old), type_=_status(new), existing_nullable=False
        )


def upgrade():
    _set_statuses(BEFORE, AFTER)


def downgrade():
    # Failed mail was retried for ever before: it becomes pending again.
    op.execute("UPDATE outgoing_mail SET status = 'pending' WHERE status = 'failed'")
    _set_statuses(AFTER, BEFORE)
