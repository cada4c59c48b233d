"""de minimis aid: the email telling a company its aid was withdrawn

Revision ID: 0011_aid_more
Revises: 0010_privacy
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_aid_more"
down_revision = "0010_privacy"
branch_labels = None
depends_on = None

#: The outbox's message kinds before this revision.
_KINDS = (
    "confirmed", "pending", "waitlisted", "approved", "declined", "promoted", "cancelled",
    "event_changed", "event_cancelled", "reminder", "follow_up", "password_reset", "invitation",
    "booking_link", "aid_certificate",
)  # fmt: skip
_NEW = ("aid_withdrawn",)


def _enum(kinds):
    return sa.Enum(*kinds, name="message_kind", native_enum=False, create_constraint=True, length=32)


def _message_kinds(old, new):
    """Replace the CHECK constraint on outbox_messages.kind (a non-native enum): PostgreSQL
    alters it in place, SQLite recreates the table."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_messages_message_kind")
        quoted = ", ".join(f"'{k}'" for k in new)
        op.create_check_constraint("message_kind", "outbox_messages", f"kind IN ({quoted})")
        return
    with op.batch_alter_table("outbox_messages", recreate="always") as batch_op:
        batch_op.alter_column("kind", existing_type=_enum(old), type_=_enum(new), existing_nullable=False)


def upgrade():
    _message_kinds(_KINDS, (*_KINDS, *_NEW))


def downgrade():
    quoted = ", ".join(f"'{k}'" for k in _NEW)
    op.execute(f"DELETE FROM outbox_messages WHERE kind IN ({quoted})")
    _message_kinds((*_KINDS, *_NEW), _KINDS)
