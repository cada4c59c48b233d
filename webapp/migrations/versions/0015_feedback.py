"""Feedback after the event: the evaluation's answers and each event's questions

Revision ID: 0015_feedback
Revises: 0016_bilingual
"""

import sqlalchemy as sa
from alembic import op

import webapp.db

revision = "0015_feedback"
down_revision = "0016_bilingual"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_questions",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("question_1_sv", sa.String(length=300), nullable=True),
        sa.Column("question_1_en", sa.String(length=300), nullable=True),
        sa.Column("question_2_sv", sa.String(length=300), nullable=True),
        sa.Column("question_2_en", sa.String(length=300), nullable=True),
        sa.Column("updated_at", webapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_feedback_questions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_feedback_questions")),
    )
    op.create_table(
        "feedback_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("overall", sa.Integer(), nullable=False),
        sa.Column("usefulness", sa.Integer(), nullable=False),
        sa.Column("answer_1", sa.Text(), nullable=True),
        sa.Column("answer_2", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("created_at", webapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("anonymised_at", webapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "overall BETWEEN 1 AND 5", name=op.f("ck_feedback_answers_overall_in_range")
        ),
        sa.CheckConstraint(
            "usefulness BETWEEN 1 AND 5", name=op.f("ck_feedback_answers_usefulness_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_feedback_answers_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_feedback_answers_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_answers")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_feedback_answers_participant_id")),
    )
    with op.batch_alter_table("feedback_answers") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_answers_event_id"), ["event_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("feedback_answers") as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_answers_event_id"))
    op.drop_table("feedback_answers")
    op.drop_table("feedback_questions")
