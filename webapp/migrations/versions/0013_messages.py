"""Messages to participants, practical information, reminders before the first session only

Revision ID: 0013_messages
Revises: 0019_meetings
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0013_messages"
down_revision = "0019_meetings"
branch_labels = None
depends_on = None

#: Every outbox kind before this revision (up to 0019_meetings), then ours.
_KINDS = (
    "confirmed", "pending", "waitlisted", "approved", "declined", "promoted", "cancelled",
    "event_changed", "event_cancelled", "reminder", "follow_up", "password_reset", "invitation",
    "booking_link", "aid_certificate", "aid_withdrawn", "meeting_requested", "meeting_accepted",
    "meeting_declined", "meeting_cancelled", "meeting_moved", "meeting_agenda",
)
_NEW_KINDS = (*_KINDS, "organiser_message")
_AUDIENCES = (
    "confirmed", "waitlisted", "pending", "declined", "attended", "not_attended", "everyone"
)


def _kind_enum(kinds):
    return sa.Enum(*kinds, name="message_kind", native_enum=False, create_constraint=True, length=32)


def _message_kinds(old, new):
    """Replace the CHECK constraint on outbox_messages.kind (a non-native enum) with one
    allowing ``new``: PostgreSQL alters it in place, SQLite recreates the table (which
    the organiser_message_id column, added in the same batch, needs anyway)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_messages_message_kind")
        quoted = ", ".join(f"'{k}'" for k in new)
        op.create_check_constraint("message_kind", "outbox_messages", f"kind IN ({quoted})")
        return
    with op.batch_alter_table("outbox_messages", recreate="always") as batch_op:
        batch_op.alter_column(
            "kind", existing_type=_kind_enum(old), type_=_kind_enum(new), existing_nullable=False
        )


def upgrade():
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(
            sa.Column("first_reminder_offsets", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(
            sa.Column("practical_info", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("practical_info_en", sa.Text(), server_default="", nullable=False)
        )
    op.create_table(
        "organiser_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column(
            "audience",
            sa.Enum(*_AUDIENCES, name="message_audience", native_enum=False,
                    create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("subject_sv", sa.String(length=200), nullable=False),
        sa.Column("body_sv", sa.Text(), nullable=False),
        sa.Column("subject_en", sa.String(length=200), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_at", webapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"],
            name=op.f("fk_organiser_messages_event_id_events"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"],
            name=op.f("fk_organiser_messages_sender_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["event_sessions.id"],
            name=op.f("fk_organiser_messages_session_id_event_sessions"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_messages")),
    )
    with op.batch_alter_table("organiser_messages") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organiser_messages_event_id"), ["event_id"], unique=False
        )
    _message_kinds(_KINDS, _NEW_KINDS)
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("organiser_message_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_organiser_message_id"),
            ["organiser_message_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_organiser_message_id_organiser_messages"),
            "organiser_messages",
            ["organiser_message_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE kind = 'organiser_message'")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_organiser_message_id_organiser_messages"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_outbox_messages_organiser_message_id"))
        batch_op.drop_column("organiser_message_id")
    _message_kinds(_NEW_KINDS, _KINDS)
    with op.batch_alter_table("organiser_messages") as batch_op:
        batch_op.drop_index(batch_op.f("ix_organiser_messages_event_id"))
    op.drop_table("organiser_messages")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("practical_info_en")
        batch_op.drop_column("practical_info")
        batch_op.drop_column("first_reminder_offsets")
