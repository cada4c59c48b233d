"""Time the password-reset request for addresses with and without an account.

    .venv/bin/python bench/bench_reset.py [--requests 200]          # a temporary SQLite file
    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_reset.py   # an EMPTY database

Each request asks for a different address (a repeat within two minutes writes nothing),
known and unknown ones interleaved, through the Flask test client with CSRF off. Prints
the median and p95 of each and the SQL statements per request: the two should match,
since response times must not tell who has an account.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import create_app  # noqa: E402
from webapp.accounts.models import User  # noqa: E402
from webapp.db import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.create_all()
            db.session.add_all(
                User(email=f"known{i}@example.se", name=f"Known {i}", password_hash="x")
                for i in range(args.requests)
            )
            db.session.commit()
            client = app.test_client()
            timings: dict[str, list[float]] = {"known": [], "unknown": []}
            statements: dict[str, int] = {}
            for i in range(args.requests):
                for label in ("known", "unknown"):
                    seen: list[str] = []

                    def count(_c, _cur, statement, *_a, seen=seen):
                        seen.append(statement)

                    sa.event.listen(db.engine, "before_cursor_execute", count)
                    start = time.perf_counter()
                    response = client.post(
                        "/organisers/password/reset", data={"email": f"{label}{i}@example.se"}
                    )
                    timings[label].append(time.perf_counter() - start)
                    sa.event.remove(db.engine, "before_cursor_execute", count)
                    assert response.status_code == 303, response.status_code
                    statements[label] = len(seen)
            print(f"Database: {db.engine.dialect.name}; {args.requests} requests each")
            for label, values in timings.items():
                values.sort()
                p95 = values[int(len(values) * 0.95) - 1]
                print(
                    f"{label:8} median {statistics.median(values) * 1000:6.2f} ms   "
                    f"p95 {p95 * 1000:6.2f} ms   {statements[label]} SQL statements"
                )
            db.drop_all()


if __name__ == "__main__":
    main()
