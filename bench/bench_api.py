"""How fast is the JSON API over 10,000 events, and does a deep page cost what the first does?

Prints figures, asserts nothing. On one database:

- ``GET /api/v1/events`` (the first page of 100), and a page deep in the list reached by
  its cursor (keyset: it should cost what the first page costs);
- the HTML list page at the same depth by page number (an OFFSET), for comparison;
- one event with its sessions; the organisations and projects lists;
- a ``304`` to ``If-None-Match``;
- the SQL statements each request runs.

Usage: ``.venv/bin/python bench/bench_api.py [--events 10000] [--repeat 20]``;
``DATABASE_URL`` picks the database (default: a temporary SQLite file).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp import create_app  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.events.models import Event, EventKind, EventSession, EventStatus  # noqa: E402
from webapp.organisations.models import Organisation, Project  # noqa: E402

PAGE = 100


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and slowest wall time of ``repeat`` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def populate(events: int) -> None:
    """Published events of the four kinds, 1–3 sessions, one an hour from tomorrow on."""
    orgs = [Organisation(name=f"Organisation {i}", slug=f"org-{i}") for i in range(30)]
    projects = [
        Project(name=f"Projekt {i}", slug=f"projekt-{i}", organisation=orgs[i], partners=orgs[:3])
        for i in range(20)
    ]
    db.session.add_all([*orgs, *projects])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    kinds = list(EventKind)
    for i in range(events):
        first = start + timedelta(hours=i)
        event = Event(
            organisation=orgs[i % len(orgs)],
            project=projects[i % len(projects)] if i % 2 else None,
            kind=kinds[i % len(kinds)],
            status=EventStatus.PUBLISHED,
            title=f"Evenemang {i}",
            summary="Om energi, effekt och pengar.",
            city="Göteborg",
            county="14",
            capacity=40,
        )
        event.sessions = [
            EventSession(
                starts_at=first + timedelta(days=7 * n),
                ends_at=first + timedelta(days=7 * n, hours=3),
            )
            for n in range(1 + i % 3)
        ]
        event.starts_at, event.ends_at = event.sessions[0].starts_at, event.sessions[-1].ends_at
        db.session.add(event)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_ENABLED": False,
                "PUBLIC_BASE_URL": "https://traffpunkt.example.se",
            }
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            populate(args.events)
            db.session.remove()
            client = app.test_client()
            statements: list[str] = []
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

            # Walk to the page 80% of the way down, by cursor.
            depth = int(args.events * 0.8) // PAGE
            cursor = None
            for _ in range(depth):
                query = f"&cursor={cursor}" if cursor else ""
                cursor = client.get(f"/api/v1/events?limit={PAGE}{query}").get_json()["next_cursor"]
            etag = client.get("/api/v1/events").headers["ETag"]
            per_page = app.config["EVENTS_PER_PAGE"]
            html_page = depth * PAGE // per_page
            cases = {
                "API first page (100)": f"/api/v1/events?limit={PAGE}",
                f"API page {depth + 1} by cursor": f"/api/v1/events?limit={PAGE}&cursor={cursor}",
                "API, one kind, first page": f"/api/v1/events?limit={PAGE}&kind=webinar",
                f"HTML list page {html_page} (OFFSET)": f"/?page={html_page}",
                "API one event": "/api/v1/events/42",
                "API organisations": "/api/v1/organisations",
                "API projects": "/api/v1/projects",
            }
            rows = []
            for name, path in cases.items():
                statements.clear()
                assert client.get(path).status_code == 200, path
                count = len(statements)
                median, slowest = timed(lambda p=path: client.get(p), args.repeat)
                rows.append((name, median, slowest, count))
            statements.clear()
            median, slowest = timed(
                lambda: client.get("/api/v1/events", headers={"If-None-Match": etag}), args.repeat
            )
            rows.append(
                ("API 304 to If-None-Match", median, slowest, len(statements) // args.repeat)
            )
            engine = db.engine.dialect.name

    print(f"{args.events} events, {engine}, median and slowest of {args.repeat}")
    print(f"  {'request':34} {'median ms':>10} {'max ms':>8} {'SQL':>4}")
    for name, median, slowest, count in rows:
        print(f"  {name:34} {median:10.1f} {slowest:8.1f} {count:4}")


if __name__ == "__main__":
    main()
