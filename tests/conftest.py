"""Fixtures shared by every test: an app per test on SQLite and on PostgreSQL.

Every test that uses ``app`` runs twice, once per database (``test_x[sqlite]``,
``test_x[postgresql]``). SQLite gets a fresh database file per test; PostgreSQL gets one
database per test worker, its tables emptied after each test. Without a reachable
PostgreSQL the PostgreSQL half is skipped with a reason, except under ``CI=true``, where it
fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from tests import factories
from tests.smtp import smtp_server  # noqa: F401 - a fixture for every test
from webapp import create_app
from webapp.db import db, reader_engine
from webapp.i18n import compile_catalogues

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent


def need(condition: bool, reason: str) -> None:
    """Skip when something the test needs is missing, but fail under CI=true."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the .po catalogues, as `make run` does, so tests see the Swedish UI."""
    compile_catalogues(create_app({"TESTING": True, "SECRET_KEY": "x"}))


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _pg_reachable(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test worker's own, with the schema created."""
    need(
        _pg_reachable(PG_URL),
        f"PostgreSQL is not reachable at {PG_URL}; start it "
        "(pg_ctlcluster --skip-systemctl-redirect <version> main start) or set TEST_DATABASE_URL",
    )
    # One database per test process, so parallel workers and parallel runs never share one;
    # databases left by runs that were killed are dropped on the way.
    name = f"traffpunkt_test_{os.getpid()}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        existing = conn.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'traffpunkt_test_%'")
        ).all()
        for stale in existing:
            pid = stale.rsplit("_", 1)[-1]
            if stale == name or (pid.isdigit() and not _process_alive(int(pid))):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_app(database_url: str, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "http://localhost",
        "MAIL_DEFAULT_SENDER": "Träffpunkt <noreply@traffpunkt.test>",
    }
    config.update(overrides)
    return create_app(config)


def _truncate(url: str) -> None:
    """Empty every table of the PostgreSQL database at ``url``."""
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the schema, made once and copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of an empty database with the schema, cleaned up after the test.

    PostgreSQL's is emptied here, whatever app the test made on it: a test that wrote
    through an app of its own (not the ``app`` fixture) left its rows to the next test.
    """
    if db_backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    _truncate(url)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Overrides for the test's app; a test module may redefine this fixture."""
    return {}


@pytest.fixture
def app(database_url: str, db_backend: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    application = make_app(database_url, **app_config)
    with application.app_context():
        yield application
        db.session.remove()
    # PostgreSQL's tables are emptied by database_url, after this.
    with application.app_context():
        db.engine.dispose()


class Client(FlaskClient):
    """A test client whose requests don't see what earlier requests cached in ``g``.

    The ``app`` fixture keeps one app context open for the test body, and requests reuse
    it, so without this the locale (Flask-Babel), the logged-in user (Flask-Login) and the
    CSRF token (Flask-WTF) cached in ``g`` by one request would leak into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            for name in ("_flask_babel", "_login_user", "csrf_token"):
                g.pop(name, None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def site(app: Flask) -> dict[str, Any]:
    """What the public-page tests read: a published event of two sessions and five seats,
    in a project of its organisation."""
    org = factories.organisation()
    project = factories.project(org)
    event = factories.event(org, project=project, capacity=5, sessions=2)
    db.session.commit()
    return {"org": org, "project": project, "event": event}


@pytest.fixture
def steady_period(monkeypatch: pytest.MonkeyPatch) -> None:
    """The public pages' period (``PUBLIC_CACHE_SECONDS``) does not end during the test: a
    test that asks a page twice must not see a new ETag because 30 seconds rolled over."""
    import time

    from webapp import http_cache

    now = int(time.time())
    monkeypatch.setattr(http_cache, "_period_start", lambda seconds: now // seconds * seconds)


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token from a rendered form."""
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


_COUNTED = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """``with count_queries() as statements:`` collects the SQL data statements run inside."""

    @contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if _COUNTED.match(statement):
                statements.append(statement)

        # The app's engine and the one the cache versions are read on (webapp.db.read_row).
        engines = {db.engine, reader_engine()}
        for engine in engines:
            sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            for engine in engines:
                sa.event.remove(engine, "before_cursor_execute", before)

    return counter
