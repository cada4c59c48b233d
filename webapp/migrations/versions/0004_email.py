"""participants.unsubscribed_at: one-click unsubscribe from reminders and bulk messages

Revision ID: 0004_email
Revises: 0002_organisations (re-chained after merging main)
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0004_email"
down_revision = "0002_organisations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("unsubscribed_at", webapp.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("unsubscribed_at")
