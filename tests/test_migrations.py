"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from tests.conftest import make_app
from webapp.db import db


def _empty(database_url: str, db_backend: str) -> None:
    if db_backend == "postgresql":
        # The shared test database has the schema from create_all: start from nothing.
        engine = sa.create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    else:
        engine = sa.create_engine(database_url)
        db.metadata.drop_all(engine)
        engine.dispose()


def _restore(database_url: str, db_backend: str) -> None:
    if db_backend == "postgresql":
        # Leave the schema as the other tests expect it.
        engine = sa.create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.metadata.create_all(engine)
        engine.dispose()


def test_upgrade_from_empty_matches_the_models(database_url, db_backend):
    _empty(database_url, db_backend)
    app = make_app(database_url)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "render_as_batch": True}
                )
                diff = compare_metadata(context, db.metadata)
            assert diff == []
    finally:
        with app.app_context():
            db.engine.dispose()
        _restore(database_url, db_backend)


def test_organisations_migration_carries_existing_data_over(database_url, db_backend):
    """Partnerships survive (SQLite copies altered tables), notices and records appear."""
    _empty(database_url, db_backend)
    app = make_app(database_url)
    try:
        with app.app_context():
            upgrade(revision="0edeb4322e07")
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO organisations (id, name, slug, created_at) VALUES "
                        "(1, 'Lead', 'lead', '2026-01-01'), (2, 'Partner', 'partner', '2026-01-01')"
                    )
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO projects (id, organisation_id, name, slug, created_at) "
                        "VALUES (1, 1, 'P', 'p', '2026-01-01')"
                    )
                )
                conn.execute(sa.text("INSERT INTO project_partners VALUES (1, 2)"))
            upgrade()
            with db.engine.connect() as conn:
                partners = conn.execute(sa.text("SELECT * FROM project_partners")).all()
                notices = conn.execute(
                    sa.text("SELECT organisation_id, version FROM privacy_notices ORDER BY 1")
                ).all()
                records = conn.execute(
                    sa.text("SELECT project_id, organisation_id, status FROM partner_invitations")
                ).all()
                status = conn.execute(sa.text("SELECT status FROM projects")).scalar()
                fk_on = (
                    conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
                    if db_backend == "sqlite"
                    else 1
                )
            assert [tuple(r) for r in partners] == [(1, 2)]
            assert [tuple(r) for r in notices] == [(1, 1), (2, 1)]
            assert [tuple(r) for r in records] == [(1, 2, "accepted")]
            assert status == "active"
            assert fk_on == 1
    finally:
        with app.app_context():
            db.engine.dispose()
        _restore(database_url, db_backend)
