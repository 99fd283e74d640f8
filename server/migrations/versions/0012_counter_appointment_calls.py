"""counters count the due appointments they called since the last walk-in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_calls_in_row', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('counter', schema=None) as batch_op:
        batch_op.drop_column('appointment_calls_in_row')
