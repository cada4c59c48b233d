"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from tests.conftest import make_app
from webapp.db import db


def test_upgrade_from_empty_matches_the_models(database_url, db_backend):
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
        if db_backend == "postgresql":
            # Leave the schema as the other tests expect it.
            engine = sa.create_engine(database_url)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.metadata.create_all(engine)
            engine.dispose()
