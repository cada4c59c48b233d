"""Benchmark: the public pages and a registration on 10,000 events and 200,000 participants.

Loads a realistic catalogue with bulk Core inserts (organisations, projects with partners,
events of the four kinds with their sessions, companies, bookings with participants, and
``seats_taken`` equal to the seats the confirmed bookings hold), then measures through the
Flask test client, in one run:

- the event list, over several filters and pages;
- the event detail page;
- a registration POST (two participants, a different company each time, CSRF off);

and the same for a bare Flask app on the same database doing one equivalent statement per
request (the framework floor): the list's page of events joined with their organisations,
one event with its sessions, one INSERT and COMMIT. Prints the median and p95 in
milliseconds, the ratio to the floor, and SQL statements per request. No thresholds.

    .venv/bin/python bench/bench_foundation.py [--database-url URL] [--events 10000]
        [--participants 200000] [--requests 300] [--explain]

Without ``--database-url`` it uses a fresh SQLite file in a temporary directory. A
PostgreSQL URL names a database the script creates and drops; it must not exist yet.
"""

from __future__ import annotations

import argparse
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp import create_app  # noqa: E402
from webapp.bookings.models import Booking, BookingStatus, Participant  # noqa: E402
from webapp.companies.models import Company, SizeClass  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.events import services as event_services  # noqa: E402
from webapp.events.models import (  # noqa: E402
    Event,
    EventKind,
    EventSession,
    EventStatus,
)
from webapp.organisations.models import Organisation, Project, project_partners  # noqa: E402

CHUNK = 10_000
CITIES = [
    ("Göteborg", "14"),
    ("Malmö", "12"),
    ("Stockholm", "01"),
    ("Uppsala", "03"),
    ("Linköping", "05"),
    ("Jönköping", "06"),
    ("Växjö", "07"),
    ("Kalmar", "08"),
    ("Halmstad", "13"),
    ("Karlstad", "17"),
    ("Örebro", "18"),
    ("Västerås", "19"),
    ("Falun", "20"),
    ("Gävle", "21"),
    ("Sundsvall", "22"),
    ("Östersund", "23"),
    ("Umeå", "24"),
    ("Luleå", "25"),
    ("Visby", "09"),
    ("Karlskrona", "10"),
]
TOPICS = [
    "energikartläggning",
    "cirkulära affärsmodeller",
    "vätgas i industrin",
    "solceller på tak",
    "exportrådgivning",
    "digital tvilling",
    "AI i produktionen",
    "hållbar logistik",
    "offentlig upphandling",
    "cybersäkerhet för småföretag",
    "kompetensförsörjning",
    "elektrifiering av transporter",
    "biobaserade material",
    "livscykelanalys",
]
KIND_WORDS = {
    EventKind.STUDY_TRIP: "Studieresa",
    EventKind.WEBINAR: "Webbinarium",
    EventKind.CONFERENCE: "Konferens",
    EventKind.WORKSHOP_SERIES: "Verkstadsserie",
}
FIRST = ["Anna", "Johan", "Sara", "Erik", "Lena", "Per", "Maja", "Ola", "Karin", "Mikael", "Eva"]
LAST = ["Lindqvist", "Berg", "Nilsson", "Holm", "Ek", "Öberg", "Dahl", "Kron", "Stål", "Åström"]


def orgnr(i: int) -> str:
    """A valid Swedish organisation number (Luhn check digit) for any index."""
    base = f"55{i:07d}"
    total = 0
    for pos, char in enumerate(base):
        value = int(char) * (2 if pos % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    number = base + str((10 - total % 10) % 10)
    return f"{number[:6]}-{number[6:]}"


# --- the database ------------------------------------------------------------------------


def prepare_database(url: str | None, workdir: Path) -> tuple[str, Callable[[], None]]:
    """The URL of an empty database and a function that removes it afterwards."""
    if not url:
        path = workdir / "bench.sqlite"
        return f"sqlite:///{path}", lambda: None
    url_obj = sa.engine.make_url(url)
    if url_obj.get_backend_name() != "postgresql":
        return url, lambda: None
    name = url_obj.database
    admin = sa.create_engine(url_obj.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(table), rows[start : start + CHUNK])


def load(n_events: int, n_participants: int, seed: int = 1) -> dict[str, Any]:
    """Fill the empty schema; returns what the measurements need (ids, slugs)."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    created = now - timedelta(days=400)

    organisations = [
        dict(
            id=i + 1,
            name=f"{city} Teknikpark" if i < 20 else f"Näringslivscentrum {i}",
            slug=f"org-{i + 1}",
            county=CITIES[i % len(CITIES)][1],
            contact_email=f"event{i + 1}@org.example.se",
            created_at=created,
        )
        for i, (city, _county) in enumerate(CITIES + CITIES[:10])
    ]
    projects = [
        dict(
            id=i + 1,
            organisation_id=rng.randrange(len(organisations)) + 1,
            name=f"Projekt {TOPICS[i % len(TOPICS)]} {2025 + i % 3}",
            slug=f"project-{i + 1}",
            funder="Europeiska regionala utvecklingsfonden",
            funder_reference=f"2025-{i:05d}",
            created_at=created,
        )
        for i in range(20)
    ]
    partners = {
        (p["id"], o) for p in projects for o in rng.sample(range(1, len(organisations) + 1), 3)
    }

    events, sessions = [], []
    open_events = []
    session_id = 0
    kinds = list(EventKind)
    for i in range(n_events):
        kind = kinds[i % 4]
        org = rng.randrange(len(organisations)) + 1
        start_day = now + timedelta(days=rng.randint(-365, 365))
        first = start_day.replace(hour=rng.choice([7, 8, 9, 13]), minute=0)
        n_sessions = {
            EventKind.WEBINAR: 1,
            EventKind.CONFERENCE: 2,
            EventKind.STUDY_TRIP: 3,
            EventKind.WORKSHOP_SERIES: 4,
        }[kind]
        gap = timedelta(days=7 if kind == EventKind.WORKSHOP_SERIES else 1)
        hours = timedelta(hours=1.5 if kind == EventKind.WEBINAR else 7)
        spans = [(first + k * gap, first + k * gap + hours) for k in range(n_sessions)]
        for k, (starts, ends) in enumerate(spans):
            session_id += 1
            sessions.append(
                dict(
                    id=session_id,
                    event_id=i + 1,
                    starts_at=starts,
                    ends_at=ends,
                    title=f"Del {k + 1}" if n_sessions > 1 else None,
                    venue=None,
                    cancelled_at=None,
                )
            )
        roll = rng.random()
        status = (
            EventStatus.DRAFT
            if roll < 0.03
            else EventStatus.CANCELLED
            if roll < 0.05
            else EventStatus.PUBLISHED
        )
        city, county = rng.choice(CITIES)
        online = kind == EventKind.WEBINAR
        abroad = kind == EventKind.STUDY_TRIP and rng.random() < 0.5
        topic = rng.choice(TOPICS)
        events.append(
            dict(
                id=i + 1,
                organisation_id=org,
                project_id=rng.randrange(len(projects)) + 1 if rng.random() < 0.4 else None,
                kind=kind,
                status=status,
                title=f"{KIND_WORDS[kind]}: {topic} #{i + 1}",
                summary=f"Om {topic} för små och medelstora företag, med exempel från regionen.",
                description=f"Vi går igenom {topic} steg för steg.\n\nFika ingår.",
                venue=None if online else f"{city} Kongresshus, Storgatan {rng.randint(1, 60)}",
                city=None if online else ("Hamburg" if abroad else city),
                county=None if online or abroad else county,
                country="DE" if abroad else "SE",
                online_url=f"https://meet.example.se/j/{i + 1}" if online else None,
                capacity=rng.choice([20, 30, 40, 50, 80, 100, 150, 300, None]),
                seats_taken=0,
                max_per_company=rng.choice([None, 3, 5]),
                registration_opens_at=None,
                registration_closes_at=None,
                requires_approval=kind == EventKind.STUDY_TRIP,
                sequence=0,
                starts_at=spans[0][0],
                ends_at=spans[-1][1],
                created_at=created,
                updated_at=created,
                cancelled_at=now - timedelta(days=1) if status == EventStatus.CANCELLED else None,
            )
        )
        if status == EventStatus.PUBLISHED and spans[0][0] > now + timedelta(days=1):
            open_events.append(i + 1)

    n_companies = max(n_participants // 8, 100)
    companies = [
        dict(
            id=c + 1,
            country="SE",
            org_number=orgnr(c + 1),
            name=f"Företag {c + 1} AB",
            county=rng.choice(CITIES)[1],
            size_class=rng.choice(list(SizeClass)),
            industry_code=None,
            created_at=created,
            updated_at=created,
        )
        for c in range(n_companies)
    ]

    bookings, participants = [], []
    bookable = [e for e in events if e["status"] != EventStatus.DRAFT]
    per_event = max(n_participants // max(len(bookable), 1), 1)
    used: dict[int, set[int]] = defaultdict(set)
    p_id = 0
    while p_id < n_participants:
        event = rng.choice(bookable)
        target = rng.randint(0, 2 * per_event)
        for _ in range(target // 2):
            if p_id >= n_participants:
                break
            limit = event["max_per_company"] or 3
            size = min(rng.randint(1, 3), limit, n_participants - p_id)
            company = rng.randrange(n_companies) + 1
            if company in used[event["id"]]:
                continue
            used[event["id"]].add(company)
            booked_at = min(event["starts_at"] - timedelta(days=rng.randint(1, 30)), now)
            if event["requires_approval"] and event["starts_at"] > now:
                status, seats = BookingStatus.PENDING, 0
            elif rng.random() < 0.05:
                status, seats = BookingStatus.CANCELLED, 0
            elif event["capacity"] is None or event["seats_taken"] + size <= event["capacity"]:
                status, seats = BookingStatus.CONFIRMED, size
            else:
                status, seats = BookingStatus.WAITLISTED, 0
            event["seats_taken"] += seats
            booking_id = len(bookings) + 1
            bookings.append(
                dict(
                    id=booking_id,
                    event_id=event["id"],
                    company_id=company,
                    status=status,
                    seats_held=seats,
                    contact_name="Kontakt Person",
                    contact_email=f"kontakt{company}@foretag.example.se",
                    contact_phone=None,
                    language="sv",
                    consent_version="2026-11",
                    consent_at=booked_at,
                    invitations_opt_in=rng.random() < 0.3,
                    token_nonce=secrets.token_hex(16),
                    submission_key=None,
                    message=None,
                    created_at=booked_at,
                    updated_at=booked_at,
                    cancelled_at=booked_at if status == BookingStatus.CANCELLED else None,
                )
            )
            for _k in range(size):
                p_id += 1
                first, last = rng.choice(FIRST), rng.choice(LAST)
                participants.append(
                    dict(
                        id=p_id,
                        booking_id=booking_id,
                        name=f"{first} {last}",
                        email=f"{first.lower()}.{p_id}@foretag{company}.example.se",
                        role=None,
                        gender=None,
                        dietary_needs=None,
                        accessibility_needs=None,
                        feed_nonce=secrets.token_hex(16),
                        created_at=booked_at,
                        cancelled_at=None,
                    )
                )

    with db.engine.begin() as conn:
        insert(conn, Organisation.__table__, organisations)
        insert(conn, Project.__table__, projects)
        insert(conn, project_partners, [dict(project_id=p, organisation_id=o) for p, o in partners])
        insert(conn, Event.__table__, events)
        insert(conn, EventSession.__table__, sessions)
        insert(conn, Company.__table__, companies)
        insert(conn, Booking.__table__, bookings)
        insert(conn, Participant.__table__, participants)
        if conn.dialect.name == "postgresql":
            # Rows came with their ids: move each id sequence past them.
            for table in (
                "organisations",
                "projects",
                "events",
                "event_sessions",
                "companies",
                "bookings",
                "participants",
            ):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))  # fresh statistics, as autovacuum would give later

    return dict(
        counts=dict(
            organisations=len(organisations),
            projects=len(projects),
            events=len(events),
            sessions=len(sessions),
            companies=n_companies,
            bookings=len(bookings),
            participants=len(participants),
            statuses=Counter(b["status"].value for b in bookings),
        ),
        event_ids=[e["id"] for e in events if e["status"] != EventStatus.DRAFT],
        open_events=open_events,
        next_company=n_companies + 1,
        org_slug=organisations[0]["slug"],
        project_slug=projects[0]["slug"],
    )


# --- measuring ---------------------------------------------------------------------------


class StatementCounter:
    """Counts SQL statements sent to the database while active."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1


def measure(
    label: str, calls: Iterator[Callable[[], Any]], n: int, counter: StatementCounter | None
) -> dict[str, float]:
    """Run ``n`` calls (after a short warm-up) and return median, p95 and statements."""
    for _ in range(min(5, n)):
        next(calls)()
    timings = []
    before = counter.count if counter else 0
    for _ in range(n):
        call = next(calls)
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return dict(
        label=label,
        median=statistics.median(timings),
        p95=timings[max(int(round(0.95 * len(timings))) - 1, 0)],
        statements=(counter.count - before) / n if counter else float("nan"),
    )


def get(client: Any, url: str, expect: int = 200) -> Callable[[], None]:
    def call() -> None:
        response = client.get(url)
        assert response.status_code == expect, (url, response.status_code)

    return call


def cycle(make: Callable[[int], Callable[[], None]]) -> Iterator[Callable[[], None]]:
    i = 0
    while True:
        yield make(i)
        i += 1


def floor_app(url: str, per_page: int) -> Flask:
    """A bare Flask app on the same database: one statement per request, no extensions."""
    engine = sa.create_engine(url)
    events, orgs = Event.__table__, Organisation.__table__
    sessions = EventSession.__table__
    scratch = sa.Table(
        "bench_floor",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("payload", sa.String(200)),
    )
    scratch.create(engine, checkfirst=True)
    app = Flask("floor")
    app.config["engine"] = engine

    @app.get("/list")
    def list_page():
        stmt = (
            sa.select(events.c.id, events.c.title, events.c.starts_at, orgs.c.name)
            .join(orgs, orgs.c.id == events.c.organisation_id)
            .where(events.c.status == "published", events.c.ends_at >= datetime.now(UTC))
            .order_by(events.c.starts_at, events.c.id)
            .limit(per_page)
            .offset((request.args.get("page", 1, type=int) - 1) * per_page)
        )
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return jsonify([[r.id, r.title, r.starts_at.isoformat(), r.name] for r in rows])

    @app.get("/detail/<int:event_id>")
    def detail(event_id: int):
        stmt = (
            sa.select(events.c.title, sessions.c.starts_at, sessions.c.ends_at)
            .join(sessions, sessions.c.event_id == events.c.id)
            .where(events.c.id == event_id)
        )
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return jsonify([[r.title, r.starts_at.isoformat(), r.ends_at.isoformat()] for r in rows])

    @app.post("/register")
    def register():
        with engine.begin() as conn:
            conn.execute(sa.insert(scratch).values(payload=request.form["name"]))
        return "", 303, {"Location": "/done"}

    return app


def registration_form(company: int) -> dict[str, str]:
    return {
        "country": "SE",
        "org_number": orgnr(company),
        "company_name": f"Bänkföretag {company} AB",
        "county": "14",
        "staff_band": "10_49",
        "turnover_band": "up_to_2m",
        "contact_name": "Kontakt Person",
        "contact_email": f"kontakt@bank{company}.example.se",
        "participants-0-name": "Anna Lindqvist",
        "participants-0-email": f"anna@bank{company}.example.se",
        "participants-1-name": "Johan Berg",
        "participants-1-email": f"johan@bank{company}.example.se",
        "consent": "y",
        "submission_key": secrets.token_urlsafe(16),
    }


def explain(url: str) -> None:
    """Print the database's plan for the list's page and count queries."""
    filters = [
        event_services.EventFilter(),
        event_services.EventFilter(kind=EventKind.WEBINAR, county="14"),
        event_services.EventFilter(past=True),
    ]
    for f in filters:
        stmt = event_services._public_listing(f, datetime.now(UTC)).limit(20)
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if url.startswith("sqlite") else "EXPLAIN ANALYZE "
        print(f"\n-- plan for {f}")
        with db.engine.connect() as conn:
            for row in conn.exec_driver_sql(prefix + str(compiled)):
                print("   ", " | ".join(str(c) for c in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300, help="per measurement")
    parser.add_argument("--explain", action="store_true", help="print the list query plans")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        url, cleanup = prepare_database(args.database_url, Path(workdir))
        try:
            run(url, args)
        finally:
            cleanup()


def run(url: str, args: argparse.Namespace) -> None:
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "http://localhost",
        }
    )
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        data = load(args.events, args.participants)
        load_seconds = time.perf_counter() - started
        db.session.remove()
        counter = StatementCounter(db.engine)
        print(
            f"database  {db.engine.dialect.name} {db.engine.dialect.server_version_info or ''}"
            f"  python {platform.python_version()}  {platform.machine()} "
            f"{platform.processor() or ''}".rstrip()
        )
        print(
            f"loaded in {load_seconds:.1f} s: "
            + ", ".join(f"{k} {v}" for k, v in data["counts"].items() if k != "statuses")
        )
        print(
            "bookings by status: "
            + ", ".join(f"{k} {v}" for k, v in sorted(data["counts"]["statuses"].items()))
        )
        if args.explain:
            explain(url)

    client = app.test_client()
    rng = random.Random(2)
    list_urls = [
        "/",
        "/?page=2",
        "/?page=60",
        "/?kind=webinar",
        "/?kind=conference&page=3",
        "/?county=14",
        f"/?organisation={data['org_slug']}",
        f"/?project={data['project_slug']}",
        "/?when=past",
        "/?when=past&page=40",
        "/?kind=workshop_series&county=12",
    ]
    n = args.requests
    companies = iter(range(data["next_company"], data["next_company"] + 10 * n + 100))
    results = []
    with app.app_context():
        # Per variant of the list first, so a slow filter stands out.
        per_variant = {
            u: measure(u, cycle(lambda _i, u=u: get(client, u)), max(n // 10, 10), counter)
            for u in list_urls
        }
        results.append(
            measure(
                "event list",
                cycle(lambda i: get(client, list_urls[i % len(list_urls)])),
                n,
                counter,
            )
        )
        results.append(
            measure(
                "event detail",
                cycle(lambda _i: get(client, f"/events/{rng.choice(data['event_ids'])}")),
                n,
                counter,
            )
        )

        def post(_i: int) -> Callable[[], None]:
            event_id = rng.choice(data["open_events"])
            form = registration_form(next(companies))

            def call() -> None:
                response = client.post(f"/events/{event_id}/register", data=form)
                assert response.status_code == 303, (event_id, response.status_code)

            return call

        results.append(measure("registration POST", cycle(post), n, counter))

    floor = floor_app(url, app.config["EVENTS_PER_PAGE"])
    floor_client = floor.test_client()
    pages = [1, 2, 60]
    floors = [
        measure(
            "floor: list", cycle(lambda i: get(floor_client, f"/list?page={pages[i % 3]}")), n, None
        ),
        measure(
            "floor: detail",
            cycle(lambda _i: get(floor_client, f"/detail/{rng.choice(data['event_ids'])}")),
            n,
            None,
        ),
        measure(
            "floor: POST",
            cycle(lambda i: lambda: floor_client.post("/register", data={"name": f"x{i}"})),
            n,
            None,
        ),
    ]
    floor.config["engine"].dispose()

    print(f"\n{n} requests per line (list variants: {max(n // 10, 10)} each); times in ms")
    print(f"{'':44} {'median':>8} {'p95':>8} {'SQL/req':>8}")
    for r in per_variant.values():
        print(f"  list {r['label']:<39} {r['median']:8.2f} {r['p95']:8.2f} {r['statements']:8.1f}")
    print()
    for r, f in zip(results, floors, strict=True):
        print(f"{r['label']:<44} {r['median']:8.2f} {r['p95']:8.2f} {r['statements']:8.1f}")
        print(f"{f['label'] + ' (bare Flask, 1 statement)':<44} {f['median']:8.2f} {f['p95']:8.2f}")
        print(
            f"{'  ratio to the floor':<44} {r['median'] / f['median']:7.1f}x "
            f"{r['p95'] / f['p95']:7.1f}x"
        )
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
