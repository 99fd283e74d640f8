"""event log indexes: the board, replay and the daily report stay flat as history grows

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 00:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE/DROP INDEX (no batch): SQLite need not copy a table of millions of events.
    op.drop_index('ix_event_branch_id', table_name='event')
    op.create_index('ix_event_branch_id', 'event', ['branch_id', 'id'])
    op.create_index('ix_event_branch_at', 'event', ['branch_id', 'at'])
    op.create_index('ix_event_counter_type', 'event', ['counter_id', 'type', 'id'])


def downgrade() -> None:
    op.drop_index('ix_event_counter_type', table_name='event')
    op.drop_index('ix_event_branch_at', table_name='event')
    op.drop_index('ix_event_branch_id', table_name='event')
    op.create_index('ix_event_branch_id', 'event', ['branch_id'])
