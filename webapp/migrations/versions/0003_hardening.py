"""Hardening: logins recorded server-side; submission keys stored only as hashes.

Revision ID: 0003_hardening
Revises: 0007_api
Create Date: 2026-12-01 09:30:00

A login is now a row of login_sessions (logging out deletes it) instead of a per-user
nonce, so users.session_nonce goes: everyone logs in again once. Stored submission keys
were the keys themselves, which replay a registration into its manage link; they are
cleared (only forms open during the upgrade lose their double-submit guard).
"""
from alembic import op
import sqlalchemy as sa

import webapp.db


revision = '0003_hardening'
down_revision = '0007_api'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', webapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_login_sessions_key_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_nonce')

    op.execute("UPDATE bookings SET submission_key = NULL")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_nonce', sa.String(length=32), nullable=False, server_default='logged-out'))

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))

    op.drop_table('login_sessions')
