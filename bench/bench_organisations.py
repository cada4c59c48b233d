"""Organiser start page and project page: latency and SQL statements as events grow.

    .venv/bin/python bench/bench_organisations.py [--sizes 100,1000,5000] [--requests 20]

For each size, a fresh SQLite file gets one lead organisation and one partner, a project
with all the events (half of them the partner's), and a waitlisted and a pending booking on
every tenth event (bulk Core inserts). Then the lead's admin requests the dashboard
(``/organisers/``) and the project page through the Flask test client; the script prints
the median and p95 latency and the SQL statements per request. Statements should stay the
same at every size; time grows with the rows the pages list.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from webapp import create_app, tokens  # noqa: E402
from webapp.accounts.models import Membership, User  # noqa: E402
from webapp.accounts.services import start_session  # noqa: E402
from webapp.bookings.models import Booking, Company  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.events.models import Event  # noqa: E402
from webapp.organisations.models import Organisation, Project, Role, project_partners  # noqa: E402


def _load(size: int) -> int:
    """Insert the data; returns the admin's login identity and the project's id."""
    lead = Organisation(name="Lead", slug="lead")
    partner = Organisation(name="Partner", slug="partner", country="NO")
    project = Project(organisation=lead, name="Project", slug="project")
    admin = User(email="admin@lead.se", name="Admin", password_hash="x")
    admin.memberships.append(Membership(organisation=lead, role=Role.ADMIN))
    db.session.add_all([lead, partner, project, admin])
    db.session.flush()
    db.session.execute(
        project_partners.insert().values(project_id=project.id, organisation_id=partner.id)
    )
    now = datetime.now(UTC)
    events = Event.__table__
    rows = []
    for i in range(size):
        start = now + timedelta(days=(i % 400) - 100)
        rows.append(
            {
                "organisation_id": lead.id if i % 2 == 0 else partner.id,
                "project_id": project.id,
                "kind": "webinar",
                "status": "published",
                "title": f"Event {i}",
                "summary": "",
                "description": "",
                "country": "SE",
                "capacity": 30,
                "seats_taken": 0,
                "requires_approval": False,
                "reminder_offsets": [1440],
                "sequence": 0,
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(events.insert(), rows)
    companies = Company.__table__
    db.session.execute(
        companies.insert().values(
            id=1,
            country="SE",
            org_number="5560000001",
            name="AB",
            size_class="small",
            created_at=now,
            updated_at=now,
        )
    )
    bookings = Booking.__table__
    ids = db.session.scalars(sa.select(events.c.id)).all()
    db.session.execute(
        bookings.insert(),
        [
            {
                "event_id": event_id,
                "company_id": 1,
                "status": status,
                "seats_held": 0,
                "contact_name": "K",
                "contact_email": "k@ab.se",
                "language": "sv",
                "consent_version": "1",
                "consent_at": now,
                "invitations_opt_in": False,
                "token_nonce": tokens.new_nonce(),
                "feed_nonce": tokens.new_nonce(),
                "created_at": now,
                "updated_at": now,
            }
            for event_id in ids[::10]
            for status in ("waitlisted", "pending")
        ],
    )
    identity = start_session(admin)
    db.session.commit()
    return identity, project.id


def _measure(client, url: str, requests: int, engine) -> tuple[float, float, int]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    client.get(url)  # warm up
    sa.event.listen(engine, "before_cursor_execute", count)
    client.get(url)
    sa.event.remove(engine, "before_cursor_execute", count)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    print(f"{'events':>7} {'page':<10} {'median ms':>10} {'p95 ms':>8} {'statements':>11}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                {
                    "SECRET_KEY": "bench",
                    "RATELIMIT_ENABLED": False,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                    "PUBLIC_BASE_URL": "http://localhost",
                }
            )
            with app.app_context():
                db.create_all()
                identity, project_id = _load(size)
                client = app.test_client()
                with client.session_transaction() as session:
                    session["_user_id"] = identity
                for name, url in (
                    ("dashboard", "/organisers/"),
                    ("project", f"/organisers/projects/{project_id}"),
                ):
                    median, p95, count = _measure(client, url, args.requests, db.engine)
                    print(f"{size:>7} {name:<10} {median:>10.1f} {p95:>8.1f} {count:>11}")
                db.engine.dispose()


if __name__ == "__main__":
    main()
