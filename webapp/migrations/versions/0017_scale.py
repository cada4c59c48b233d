"""Scale: when organisations and projects last changed, and indexes on every updated_at
(the public pages' cache version, webapp.events.page_versions)

Revision ID: 0017_scale
Revises: 0013_messages
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0017_scale"
down_revision = "0013_messages"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("organisations", "projects"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("updated_at", webapp.db.UTCDateTime(timezone=True), nullable=True)
            )
    for table in ("events", "event_sessions", "organisations", "projects"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(f"ix_{table}_updated_at", ["updated_at"], unique=False)


def downgrade():
    for table in ("events", "event_sessions", "organisations", "projects"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_updated_at")
    for table in ("projects", "organisations"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("updated_at")
