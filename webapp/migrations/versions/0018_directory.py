"""Company directory: opt-in company profiles, and the outbox kind of their invitation

Revision ID: 0018_directory
Revises: 0017_scale
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0018_directory"
down_revision = "0017_scale"
branch_labels = None
depends_on = None

# Every outbox kind before this revision (up to 0017_scale).
_KINDS = (
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
    "booking_link",
    "aid_certificate",
    "aid_withdrawn",
    "meeting_requested",
    "meeting_accepted",
    "meeting_declined",
    "meeting_cancelled",
    "meeting_moved",
    "meeting_agenda",
    "organiser_message",
)
_NEW = "directory_invitation"


def _message_kinds(kinds, old_kinds):
    """Replace the CHECK constraint on outbox_messages.kind (a non-native enum) with one
    allowing ``kinds``: PostgreSQL alters it in place, SQLite recreates the table."""
    new = sa.Enum(*kinds, name="message_kind", native_enum=False, create_constraint=True, length=32)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_messages_message_kind")
        quoted = ", ".join(f"'{k}'" for k in kinds)
        op.create_check_constraint("message_kind", "outbox_messages", f"kind IN ({quoted})")
        return
    old = sa.Enum(
        *old_kinds, name="message_kind", native_enum=False, create_constraint=True, length=32
    )
    with op.batch_alter_table("outbox_messages", recreate="always") as batch_op:
        batch_op.alter_column("kind", existing_type=old, type_=new, existing_nullable=False)


def upgrade():
    _message_kinds((*_KINDS, _NEW), _KINDS)
    op.create_table(
        "company_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("offers", sa.Text(), nullable=False),
        sa.Column("seeks", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("industry", sa.String(length=1), nullable=True),
        sa.Column("county", sa.String(length=2), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("edit_nonce", sa.String(length=32), nullable=False),
        sa.Column("invited_at", webapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", webapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", webapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", webapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", webapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_profiles_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_profiles")),
        sa.UniqueConstraint("company_id", name=op.f("uq_company_profiles_company_id")),
    )
    with op.batch_alter_table("company_profiles") as batch_op:
        batch_op.create_index(batch_op.f("ix_company_profiles_country"), ["country"])
        batch_op.create_index(batch_op.f("ix_company_profiles_county"), ["county"])
        batch_op.create_index(batch_op.f("ix_company_profiles_industry"), ["industry"])
        batch_op.create_index(batch_op.f("ix_company_profiles_published_at"), ["published_at"])


def downgrade():
    op.drop_table("company_profiles")
    op.execute(f"DELETE FROM outbox_messages WHERE kind = '{_NEW}'")
    _message_kinds(_KINDS, (*_KINDS, _NEW))
