"""Outbox kind booking_link: the manage link emailed when a company registers twice.

Revision ID: 0008_public
Revises: 0004_email
Create Date: 2026-12-01 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_public"
down_revision = "0004_email"
branch_labels = None
depends_on = None

_OLD = (
    "confirmed",
    "pending",
    "waitlisted",
    "approved",
    "declined",
    "promoted",
    "cancelled",
    "event_changed",
    "event_cancelled",
    "reminder",
    "follow_up",
    "password_reset",
    "invitation",
)
_NEW = (*_OLD, "booking_link")


def _kind(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="message_kind", native_enum=False, create_constraint=True, length=32
    )


def _change(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK constraint: batch mode copies the table, and the
        # column's new type brings its constraint.
        with op.batch_alter_table("outbox_messages", recreate="always") as batch:
            batch.alter_column("kind", type_=_kind(new), existing_type=_kind(old))
        return
    op.drop_constraint(op.f("ck_outbox_messages_message_kind"), "outbox_messages", type_="check")
    listed = ", ".join(f"'{value}'" for value in new)
    op.create_check_constraint("message_kind", "outbox_messages", f"kind IN ({listed})")


def upgrade():
    _change(_OLD, _NEW)


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE kind = 'booking_link'")
    _change(_NEW, _OLD)
