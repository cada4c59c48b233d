"""Time the organisers' attendee list and its XLSX/CSV exports for an event with 2,000
participants (1,000 bookings of two people each).

    .venv/bin/python bench/bench_attendees.py                 # a temporary SQLite file
    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_attendees.py   # an EMPTY database

Prints the median and the slowest of several runs of each request, measured through the
Flask test client (rendering and database, no network), and the SQL statements per request.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import factories  # noqa: E402
from tests.organisers import bulk  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.accounts.models import Membership, Role, User  # noqa: E402
from webapp.accounts.services import hash_password, start_session  # noqa: E402
from webapp.db import db  # noqa: E402

BOOKINGS = 1000
PER_BOOKING = 2
RUNS = 7


def _timed(client, url: str) -> tuple[list[float], int, int]:
    """Durations of RUNS GETs of ``url``, the response size and the statements per request."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    durations = []
    size = 0
    for run in range(RUNS):
        if run == RUNS - 1:
            sa.event.listen(db.engine, "before_cursor_execute", count)
        db.session.expire_all()
        start = time.perf_counter()
        response = client.get(url)
        durations.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        size = len(response.data)
    sa.event.remove(db.engine, "before_cursor_execute", count)
    return durations, size, len(statements)


def report(client, pages: list[tuple[str, str]]) -> None:
    """Print the median and slowest time, size and statements of each (label, path)."""
    for label, path in pages:
        durations, size, statements = _timed(client, path)
        warm = durations[1:]
        print(
            f"{label:22} median {statistics.median(warm) * 1000:7.0f} ms   "
            f"max {max(warm) * 1000:7.0f} ms   {size / 1024:7.0f} KiB   "
            f"{statements} SQL statements"
        )


def bench_app() -> tuple[Flask, tempfile.TemporaryDirectory | None]:
    """The app on ``DATABASE_URL``, else on a throw-away SQLite file (its folder is returned:
    clean it up when done)."""
    url = os.environ.get("DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/bench.sqlite"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    return app, tmp


def main() -> None:
    app, tmp = bench_app()
    with app.app_context():
        db.create_all()
        org = factories.organisation("Benchmark Park")
        event = factories.event(org, capacity=None, title="Konferens med 2 000 deltagare")
        bulk.bookings(event, BOOKINGS, participants_each=PER_BOOKING, offset=500_000)
        user = User(email="bench@example.se", name="Bench", password_hash=hash_password("x" * 12))
        user.memberships.append(Membership(organisation=org, role=Role.ORGANISER))
        db.session.add(user)
        db.session.flush()
        identity = start_session(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = identity
            session["_fresh"] = True

        print(
            f"Database: {db.engine.dialect.name}; event with {BOOKINGS} bookings, "
            f"{BOOKINGS * PER_BOOKING} participants; {RUNS} runs each (first one warms up)"
        )
        report(
            client,
            [
                ("attendee list (HTML)", f"/organisers/events/{event.id}/attendees"),
                ("print view (HTML)", f"/organisers/events/{event.id}/attendees/print"),
                ("export XLSX", f"/organisers/events/{event.id}/attendees.xlsx"),
                ("export CSV", f"/organisers/events/{event.id}/attendees.csv"),
            ],
        )
        db.session.remove()
        if tmp is None:
            db.drop_all()
        db.engine.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
