"""visit at the counter: unordered step groups, "any of" conditions, return reasons on stops,
hand-over services

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lifeeventstep', schema=None) as batch_op:
        batch_op.add_column(sa.Column('when_any', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hands_over', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('returned_reason', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.drop_column('returned_reason')
        batch_op.drop_column('group')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('hands_over')
    with op.batch_alter_table('lifeeventstep', schema=None) as batch_op:
        batch_op.drop_column('group')
        batch_op.drop_column('when_any')
