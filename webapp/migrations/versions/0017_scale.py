"""Scale: when organisations and projects last changed (the public pages' cache version)

Revision ID: 0017_scale
Revises: 0010_privacy
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0017_scale"
down_revision = "0010_privacy"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("organisations", "projects"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("updated_at", webapp.db.UTCDateTime(timezone=True), nullable=True)
            )


def downgrade():
    for table in ("projects", "organisations"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("updated_at")
