"""api: events remember their start before a move; keyset index on (status, starts_at, id)

Revision ID: 0007_api
Revises: 0005_companies
Create Date: 2026-12-01 09:10:00

"""

from alembic import op
import sqlalchemy as sa

import webapp.db


# revision identifiers, used by Alembic.
revision = "0007_api"
down_revision = "0005_companies"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("previous_starts_at", webapp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_index("ix_events_status_starts_at")
        batch_op.create_index(
            "ix_events_status_starts_at_id", ["status", "starts_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_status_starts_at_id")
        batch_op.create_index("ix_events_status_starts_at", ["status", "starts_at"], unique=False)
        batch_op.drop_column("previous_starts_at")
