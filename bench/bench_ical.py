"""How fast is a feed of 5,000 sessions, next to what icalendar itself needs for it?

Prints figures, asserts nothing. In one run, on one database:

- the whole feed request through the app (aggregate query, loading, building, serialising);
- the app's pure builder alone (``ical.build_calendar`` on the loaded sessions' values);
- the floor: the same VEVENTs built from ready-made values with bare icalendar calls;
- a ``304`` answer to ``If-None-Match``.

Usage: ``.venv/bin/python bench/bench_ical.py [--sessions 5000] [--repeat 5]``;
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

from icalendar import Calendar, vDuration, vText
from icalendar import Event as VEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp import create_app  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.events import feeds, ical  # noqa: E402
from webapp.events.models import (  # noqa: E402
    Event,
    EventKind,
    EventSession,
    EventStatus,
)
from webapp.events.services import EventFilter  # noqa: E402
from webapp.i18n import STOCKHOLM  # noqa: E402
from webapp.organisations.models import Organisation  # noqa: E402

SESSIONS_PER_EVENT = 5


def timed(run: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def populate(sessions: int) -> None:
    """Published workshop series, five sessions each, starting tomorrow."""
    orgs = [Organisation(name=f"Organisation {i}", slug=f"org-{i}") for i in range(10)]
    db.session.add_all(orgs)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    for i in range(sessions // SESSIONS_PER_EVENT):
        first = start + timedelta(hours=i)
        event = Event(
            organisation=orgs[i % len(orgs)],
            kind=EventKind.WORKSHOP_SERIES,
            status=EventStatus.PUBLISHED,
            title=f"Energikartläggning, steg {i}; för små företag",
            summary="Fyra eftermiddagar om energi, effekt och pengar.",
            venue="Sven Hultins gata 9",
            city="Göteborg",
        )
        event.sessions = [
            EventSession(
                starts_at=first + timedelta(days=7 * n),
                ends_at=first + timedelta(days=7 * n, hours=3),
            )
            for n in range(SESSIONS_PER_EVENT)
        ]
        event.starts_at, event.ends_at = event.sessions[0].starts_at, event.sessions[-1].ends_at
        db.session.add(event)
    db.session.commit()


def floor_calendar(rows: list[dict[str, object]]) -> bytes:
    """The same calendar from ready-made values with bare icalendar calls: the floor."""
    calendar = Calendar()
    calendar.add("prodid", ical.PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", vText("Träffpunkt"))
    calendar.add("x-wr-calname", vText("Träffpunkt"))
    calendar.add("x-wr-timezone", vText(ical.TZID))
    calendar.add("refresh-interval", vDuration(ical.REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(ical.REFRESH))
    calendar.add_component(ical.vtimezone())
    for row in rows:
        component = VEvent()
        for name, value in row.items():
            component.add(name, value)
        calendar.add_component(component)
    return calendar.to_ical()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "PUBLIC_BASE_URL": "https://traffpunkt.example.se",
                # The whole request is timed cold: no built feed kept (webapp.http_cache),
                # no whole answer kept in front of Flask (webapp.front).
                "CACHE_TYPE": "NullCache",
                "FRONT_CACHE_BYTES": 0,
            }
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            populate(args.sessions)
            client = app.test_client()
            base = app.config["PUBLIC_BASE_URL"]

            response = client.get("/feeds/events.ics")
            assert response.status_code == 200
            etag = response.headers["ETag"]
            count = response.data.count(b"BEGIN:VEVENT")

            with app.test_request_context():
                sessions = feeds.public_feed_sessions(EventFilter())
                # The values the app puts in each VEVENT, computed once, outside the timing.
                rows = [
                    {
                        "uid": ical.session_uid(s.id, base),
                        "sequence": s.event.sequence,
                        "dtstamp": ical.changed_at(s),
                        "last-modified": ical.changed_at(s),
                        "dtstart": s.starts_at.astimezone(STOCKHOLM),
                        "dtend": s.ends_at.astimezone(STOCKHOLM),
                        "summary": ical.summary(s),
                        "description": ical.description(s, base, False),
                        "location": ical.location(s, False),
                        "url": ical.event_url(s.event.id, base),
                        "status": "CONFIRMED",
                    }
                    for s in sessions
                ]

                def app_build() -> bytes:
                    return ical.build_calendar(
                        sessions, name="Träffpunkt", base_url=base, include_join_url=False
                    )

                floor = timed(lambda: floor_calendar(rows), args.repeat)
                pure = timed(app_build, args.repeat)
            db.session.remove()
            request = timed(lambda: client.get("/feeds/events.ics"), args.repeat)
            not_modified = timed(
                lambda: client.get("/feeds/events.ics", headers={"If-None-Match": etag}),
                max(args.repeat, 20),
            )
            size = len(response.data)
            engine = db.engine.dialect.name

    print(f"feed of {count} sessions, {size / 1e6:.1f} MB, {engine}, median of {args.repeat}")
    print(f"  floor (bare icalendar calls)  {floor * 1000:8.1f} ms")
    print(f"  app builder (pure function)   {pure * 1000:8.1f} ms   {pure / floor:5.2f}x floor")
    ratio = request / floor
    print(f"  whole request (200)           {request * 1000:8.1f} ms   {ratio:5.2f}x floor")
    print(f"  304 to If-None-Match          {not_modified * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
