"""Personal data: retention settings and the marks of what was anonymised or erased

Revision ID: 0010_privacy
Revises: 0009_aid
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0010_privacy"
down_revision = "0009_aid"
branch_labels = None
depends_on = None


def _stamp(table: str, column: str) -> None:
    with op.batch_alter_table(table) as batch_op:
        batch_op.add_column(sa.Column(column, webapp.db.UTCDateTime(timezone=True), nullable=True))


def upgrade():
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.add_column(
            sa.Column("needs_retention_days", sa.Integer(), nullable=False, server_default="30")
        )
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("retention_years", sa.Integer(), nullable=True))
    _stamp("bookings", "anonymised_at")
    _stamp("bookings", "invitations_withdrawn_at")
    _stamp("participants", "anonymised_at")
    _stamp("outbox_messages", "content_erased_at")


def downgrade():
    for table, column in (
        ("outbox_messages", "content_erased_at"),
        ("participants", "anonymised_at"),
        ("bookings", "invitations_withdrawn_at"),
        ("bookings", "anonymised_at"),
        ("projects", "retention_years"),
        ("organisations", "needs_retention_days"),
    ):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
