"""Upgrading a database that has companies keeps their size class (the bands are new)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from tests.conftest import make_app
from webapp.db import db


def _empty(database_url: str, db_backend: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        if db_backend == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def test_existing_companies_keep_their_class_and_get_no_invented_history(database_url, db_backend):
    _empty(database_url, db_backend)
    app = make_app(database_url)
    try:
        with app.app_context():
            upgrade(revision="0edeb4322e07")
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO companies (country, org_number, name, county, size_class,"
                        " created_at, updated_at) VALUES ('SE', '556036-0793', 'Gammal AB',"
                        " '23', 'medium', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
            upgrade()
            with db.engine.connect() as conn:
                row = conn.execute(
                    sa.text("SELECT size_class, merged_into_id FROM companies")
                ).one()
                changes = conn.scalar(sa.text("SELECT count(*) FROM company_changes"))
        assert tuple(row) == ("medium", None)
        assert changes == 0  # no history is invented for records older than it
    finally:
        with app.app_context():
            db.engine.dispose()
        _empty(database_url, db_backend)
        engine = sa.create_engine(database_url)
        db.metadata.create_all(engine)
        engine.dispose()
