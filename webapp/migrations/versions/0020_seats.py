"""Seats: when an event's seats last changed, apart from its updated_at

A booking is no change to the event's iCal VEVENTs (webapp.events.page_versions).

Revision ID: 0020_seats
Revises: 0018_directory
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0020_seats"
down_revision = "0018_directory"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(
            sa.Column("seats_changed_at", webapp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_events_seats_changed_at", ["seats_changed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index("ix_events_seats_changed_at")
        batch_op.drop_column("seats_changed_at")
