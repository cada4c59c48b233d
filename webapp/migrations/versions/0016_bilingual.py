"""Events in two languages: English title, summary, description and venue; session titles

Revision ID: 0016_bilingual
Revises: 0011_aid_more
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_bilingual"
down_revision = "0011_aid_more"
branch_labels = None
depends_on = None

_EVENT_COLUMNS = (
    ("title_en", sa.String(length=200)),
    ("summary_en", sa.String(length=500)),
    ("description_en", sa.Text()),
    ("venue_en", sa.String(length=300)),
)


def upgrade():
    with op.batch_alter_table("events") as batch_op:
        for name, type_ in _EVENT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("event_sessions") as batch_op:
        batch_op.add_column(sa.Column("title_en", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("event_sessions") as batch_op:
        batch_op.drop_column("title_en")
    with op.batch_alter_table("events") as batch_op:
        for name, _type in reversed(_EVENT_COLUMNS):
            batch_op.drop_column(name)
