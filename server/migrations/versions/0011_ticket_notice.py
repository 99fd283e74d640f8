"""your turn is near by e-mail (ticketnotice)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ticketnotice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('registrations', sa.Integer(), nullable=False),
        sa.Column('created_at', server.models.UTCDateTime(), nullable=False),
        sa.Column('near_stop', sa.Integer(), nullable=True),
        sa.Column('called_stop', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['branch_id'], ['branch.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id'),
    )
    op.create_index('ix_ticketnotice_branch_id', 'ticketnotice', ['branch_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticketnotice_branch_id', table_name='ticketnotice')
    op.drop_table('ticketnotice')
