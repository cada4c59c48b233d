"""Time the company register's pages for an organiser whose 500 events were booked by
20,000 companies, in a register that also holds another organisation's 5,000.

    .venv/bin/python bench/bench_companies.py                 # a temporary SQLite file
    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_companies.py   # an EMPTY database
    .venv/bin/python bench/bench_companies.py --events 50     # a quick run (2,000 companies)

Prints the median and the slowest of several runs of each page through the Flask test
client (rendering and database, no network), and the SQL statements per request, which
stay the same whatever the size (tests/companies/test_views.py asserts it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_attendees import bench_app, report  # noqa: E402
from tests import factories  # noqa: E402
from tests.organisers import bulk  # noqa: E402
from webapp.accounts.models import Membership, User  # noqa: E402
from webapp.accounts.services import hash_password, start_session  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.organisations.models import Role  # noqa: E402

PER_EVENT = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    app, tmp = bench_app()
    with app.app_context():
        db.create_all()
        org = factories.organisation("Benchmark Park")
        for i in range(args.events):
            event = factories.event(org, capacity=None, sessions=2)
            bulk.bookings(event, PER_EVENT, offset=1_000_000 + i * PER_EVENT)
        other = factories.organisation("Another Park")
        bulk.bookings(factories.event(other, capacity=None), 5000, offset=3_000_000)
        user = User(
            email="bench@example.se",
            name="Bench",
            password_hash=hash_password("x" * 12),
        )
        user.memberships.append(Membership(organisation=org, role=Role.ORGANISER))
        db.session.add(user)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))  # fresh statistics, as autovacuum would give later
        identity = start_session(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = identity
            session["_fresh"] = True

        companies = args.events * PER_EVENT
        print(
            f"Database: {db.engine.dialect.name}; {companies} companies on {args.events} "
            "events of the organiser's, 5000 more of another organisation's"
        )
        last = -(-companies // 50)  # 50 a page
        report(
            client,
            [
                ("list, page 1", "/organisers/companies"),
                (f"list, page {last} (last)", f"/organisers/companies?page={last}"),
                ("list, name search", "/organisers/companies?q=bulkf%C3%B6retag%201"),
                ("list, county + size", "/organisers/companies?county=14&size=small"),
                ("company page", "/organisers/companies/1"),
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
