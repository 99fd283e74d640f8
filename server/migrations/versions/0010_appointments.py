"""appointments: bookings, their slots' places, the appointment flag on tickets and stops

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.models

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('appointmentslot',
    sa.Column('branch_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('start_at', server.models.UTCDateTime(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked >= 0', name='ck_appointmentslot_booked'),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('branch_id', 'service_id', 'start_at')
    )
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('manage_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('start_at', server.models.UTCDateTime(), nullable=False),
    sa.Column('end_at', server.models.UTCDateTime(), nullable=False),
    sa.Column('status', sa.Enum('booked', 'checked_in', 'cancelled', name='appointmentstatus'), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('email_erase_after', server.models.UTCDateTime(), nullable=True),
    sa.Column('booked_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', server.models.UTCDateTime(), nullable=False),
    sa.Column('cancelled_at', server.models.UTCDateTime(), nullable=True),
    sa.Column('checked_in_at', server.models.UTCDateTime(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booked_by_staff_id'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('branch_id', 'code'),
    sa.UniqueConstraint('manage_token')
    )
    op.create_index('ix_appointment_branch_start', 'appointment', ['branch_id', 'start_at'], unique=False)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        # A literal default, so SQLite adds the column in place: rebuilding the ticket table would
        # break the foreign keys of an existing database's stops.
        batch_op.add_column(sa.Column('appointment', sa.Boolean(), nullable=False, server_default='0'))
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_at', server.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.drop_column('appointment_at')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('appointment')
    op.drop_index('ix_appointment_branch_start', table_name='appointment')
    op.drop_table('appointment')
    op.drop_table('appointmentslot')
    sa.Enum(name='appointmentstatus').drop(op.get_bind(), checkfirst=True)
