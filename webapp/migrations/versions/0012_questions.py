"""Registration questions per event and the answers bookings gave

Revision ID: 0012_questions
Revises: 0015_feedback
"""
from alembic import op
import sqlalchemy as sa

import webapp.db


# revision identifiers, used by Alembic.
revision = '0012_questions'
down_revision = '0015_feedback'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('short_text', 'long_text', 'single_choice', 'multiple_choice', 'yes_no', 'number', 'date', name='question_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('scope', sa.Enum('booking', 'participant', name='question_scope', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('text_sv', sa.String(length=300), nullable=False),
    sa.Column('text_en', sa.String(length=300), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_questions_position_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_questions_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_event_id'), ['event_id'], unique=False)

    op.create_table('answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('created_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_answers_booking_id_bookings')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_answers_participant_id_participants')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answers'))
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answers_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answers_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_question_id'))
        batch_op.drop_index(batch_op.f('ix_answers_participant_id'))
        batch_op.drop_index(batch_op.f('ix_answers_booking_id'))

    op.drop_table('answers')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_event_id'))

    op.drop_table('questions')
