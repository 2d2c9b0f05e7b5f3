"""peer-challenge hosts: the team as its people were last told, so changes after publishing
are shown and only those whose team changed are told

Revision ID: c7a4e9d03b52
Revises: b1d0c2a7e915
Create Date: 2026-12-07 07:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c7a4e9d03b52"
down_revision = "b1d0c2a7e915"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("peer_challenge_host", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_team", sa.JSON(), nullable=True))
    # Rounds published already: their teams as they are now are the ones people were told.
    connection = op.get_bind()
    hosts = connection.execute(
        sa.text(
            "SELECT h.member_id FROM peer_challenge_host h"
            " JOIN programme_member m ON m.id = h.member_id"
            " JOIN programme p ON p.id = m.programme_id WHERE p.status = 'published'"
        )
    ).scalars()
    host_table = sa.table(
        "peer_challenge_host", sa.column("member_id"), sa.column("published_team", sa.JSON)
    )
    for host_id in list(hosts):
        team = connection.execute(
            sa.text(
                "SELECT pl.role, m.token, m.name FROM peer_challenge_place pl"
                " JOIN programme_member m ON m.id = pl.peer_id WHERE pl.host_id = :host"
                " ORDER BY pl.id"
            ),
            {"host": host_id},
        ).all()
        connection.execute(
            host_table.update()
            .where(host_table.c.member_id == host_id)
            .values(published_team=[[role, token, name] for role, token, name in team])
        )


def downgrade():
    with op.batch_alter_table("peer_challenge_host", schema=None) as batch_op:
        batch_op.drop_column("published_team")
