"""Public pages, feeds and registration over HTTP under gunicorn, against the floors.

    .venv/bin/python bench/bench_http.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/bench_http.py --backends sqlite --wrk-seconds 5 --requests 200
    .venv/bin/python bench/bench_http.py --cache-redis    # the page cache in Redis

For each database it loads 200 future events of one organisation (1–4 sessions each) and
250 events of 20 sessions (5,000 sessions) of another, then starts, each with gunicorn and
2 sync workers: Träffpunkt in production mode, a bare Flask "hello world" (the floor), a
bare Flask page doing one SELECT and rendering a compiled Jinja template, and a bare Flask
registration endpoint doing the same writes as a registration with plain SQL in one
transaction. It measures sequential requests (a new connection each, as gunicorn's sync
workers close them) and ``wrk -t2 -c8`` on each page, and prints each figure with its
ratio to the hello-world floor; the registration POST against its floor, sequential and
with 8 concurrent clients. Targets: issue 17 (bench/README.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = "redis://127.0.0.1:6379/3"
ORG_SMALL, ORG_BIG = "org-200", "org-5000"


# --- the apps gunicorn serves (``bench_http:make_app()``) --------------------------------


def make_app() -> Any:
    """The app named by ``BENCH_APP``: traffpunkt, hello, select or register-floor."""
    kind = os.environ["BENCH_APP"]
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if kind == "traffpunkt":
        from webapp import create_app

        return create_app(json.loads(os.environ["BENCH_CONFIG"]))
    from flask import Flask, request
    from jinja2 import Environment

    app = Flask("floor")
    if kind == "hello":

        @app.get("/")
        def hello() -> str:
            return "Hello, World!"

        return app
    from webapp.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    if kind == "select":
        template = Environment(autoescape=True).from_string(
            "<!doctype html><title>{{ title }}</title><h1>{{ title }}</h1>"
            "<p>{{ summary }}</p><ul>{% for s in sessions %}<li>{{ s }}</li>{% endfor %}</ul>"
        )
        statement = sa.text(
            "SELECT e.title, e.summary, s.starts_at FROM events e "
            "JOIN event_sessions s ON s.event_id = e.id WHERE e.id = :id"
        )

        @app.get("/<int:event_id>")
        def page(event_id: int) -> str:
            with engine.connect() as conn:
                rows = conn.execute(statement, {"id": event_id}).all()
            return template.render(
                title=rows[0][0], summary=rows[0][1], sessions=[r[2] for r in rows]
            )

        return app

    @app.post("/<int:event_id>")
    def register(event_id: int) -> tuple[str, int, dict[str, str]]:
        """The writes of a registration, in plain SQL in one transaction: find or add the
        company, take the seats, the booking, two participants, the confirmation."""
        form = request.form
        now = datetime.now(UTC)
        with engine.begin() as conn:
            company = conn.execute(
                sa.text("SELECT id FROM floor_companies WHERE org_number = :n"),
                {"n": form["org_number"]},
            ).scalar()
            if company is None:
                company = conn.execute(
                    sa.text(
                        "INSERT INTO floor_companies (org_number, name, county) "
                        "VALUES (:n, :name, :county) RETURNING id"
                    ),
                    {"n": form["org_number"], "name": form["company_name"], "county": "14"},
                ).scalar()
            conn.execute(
                sa.text(
                    "UPDATE events SET seats_taken = seats_taken + 2 WHERE id = :id "
                    "AND (capacity IS NULL OR seats_taken + 2 <= capacity)"
                ),
                {"id": event_id},
            )
            booking = conn.execute(
                sa.text(
                    "INSERT INTO floor_bookings (event_id, company_id, contact_name, "
                    "contact_email, created_at) VALUES (:e, :c, :n, :m, :t) RETURNING id"
                ),
                {
                    "e": event_id,
                    "c": company,
                    "n": form["contact_name"],
                    "m": form["contact_email"],
                    "t": now,
                },
            ).scalar()
            conn.execute(
                sa.text(
                    "INSERT INTO floor_participants (booking_id, name, email) VALUES (:b, :n, :m)"
                ),
                [
                    {
                        "b": booking,
                        "n": form[f"participants-{i}-name"],
                        "m": form[f"participants-{i}-email"],
                    }
                    for i in range(2)
                ],
            )
            conn.execute(
                sa.text(
                    "INSERT INTO floor_outbox (booking_id, kind, recipient, due_at) "
                    "VALUES (:b, 'confirmation', :m, :t)"
                ),
                {"b": booking, "m": form["contact_email"], "t": now},
            )
        return "", 303, {"Location": f"/bookings/{booking}"}

    return app


FLOOR_TABLES = [
    "CREATE TABLE floor_companies (id {pk}, org_number VARCHAR(20) UNIQUE,"
    " name VARCHAR(200), county VARCHAR(2))",
    "CREATE TABLE floor_bookings (id {pk}, event_id INTEGER REFERENCES events(id),"
    " company_id INTEGER REFERENCES floor_companies(id), contact_name VARCHAR(200),"
    " contact_email VARCHAR(254), created_at {ts})",
    "CREATE TABLE floor_participants (id {pk},"
    " booking_id INTEGER REFERENCES floor_bookings(id), name VARCHAR(200), email VARCHAR(254))",
    "CREATE TABLE floor_outbox (id {pk}, booking_id INTEGER, kind VARCHAR(30),"
    " recipient VARCHAR(254), due_at {ts})",
]


# --- data --------------------------------------------------------------------------------


def load(url: str) -> dict[str, int]:
    """The schema and the catalogue; returns the ids the measurements use."""
    from bench_foundation import orgnr  # noqa: F401 - same numbering as the other benches

    from webapp import create_app
    from webapp.db import db
    from webapp.events.models import Event, EventKind, EventSession, EventStatus
    from webapp.organisations.models import Organisation

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    rng = random.Random(17)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    created = now - timedelta(days=30)
    with app.app_context():
        db.create_all()
        orgs = [
            dict(id=1, name="Teknikpark Norr", slug=ORG_SMALL, county="25", created_at=created),
            dict(id=2, name="Kursgården Syd", slug=ORG_BIG, county="12", created_at=created),
        ]
        events, sessions = [], []

        def add(org: int, n_sessions: int, kind: EventKind, capacity: int | None) -> int:
            event_id = len(events) + 1
            first = (now + timedelta(days=rng.randint(2, 300))).replace(hour=9, minute=0)
            gap = timedelta(days=7)
            spans = [
                (first + k * gap, first + k * gap + timedelta(hours=3)) for k in range(n_sessions)
            ]
            for k, (starts, ends) in enumerate(spans):
                sessions.append(
                    dict(
                        id=len(sessions) + 1,
                        event_id=event_id,
                        starts_at=starts,
                        ends_at=ends,
                        title=f"Del {k + 1}" if n_sessions > 1 else None,
                        created_at=created,
                        updated_at=created,
                    )
                )
            events.append(
                dict(
                    id=event_id,
                    organisation_id=org,
                    kind=kind,
                    status=EventStatus.PUBLISHED,
                    title=f"Evenemang {event_id}: energi och digitalisering",
                    summary="För små och medelstora företag, med exempel från regionen.",
                    description="Vi går igenom steg för steg.\n\nFika ingår.",
                    venue="Kongresshuset, Storgatan 1",
                    city="Luleå",
                    county="25",
                    country="SE",
                    capacity=capacity,
                    seats_taken=0,
                    requires_approval=False,
                    sequence=0,
                    starts_at=spans[0][0],
                    ends_at=spans[-1][1],
                    created_at=created,
                    updated_at=created,
                )
            )
            return event_id

        kinds = [EventKind.WEBINAR, EventKind.CONFERENCE, EventKind.WORKSHOP_SERIES]
        for i in range(200):
            add(1, 1 + i % 4, kinds[i % 3], rng.choice([30, 50, 100]))
        for _ in range(250):
            add(2, 20, EventKind.WORKSHOP_SERIES, 40)
        register_id = add(1, 1, EventKind.CONFERENCE, None)
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Organisation.__table__), orgs)
            for table, rows in ((Event.__table__, events), (EventSession.__table__, sessions)):
                for start in range(0, len(rows), 5000):
                    conn.execute(sa.insert(table), rows[start : start + 5000])
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                for table in ("organisations", "events", "event_sessions"):
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
            types = (
                {"pk": "SERIAL PRIMARY KEY", "ts": "TIMESTAMPTZ"}
                if postgres
                else {"pk": "INTEGER PRIMARY KEY", "ts": "TIMESTAMP"}
            )
            for statement in FLOOR_TABLES:
                conn.execute(sa.text(statement.format(**types)))
            conn.execute(sa.text("ANALYZE"))
        db.engine.dispose()
    return {"event": 7, "register": register_id, "floor_register": register_id - 1}


# --- servers and clients -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One app under gunicorn with 2 sync workers."""

    def __init__(self, app: str, url: str, config: dict[str, Any] | None = None) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "BENCH_APP": app,
            "BENCH_DATABASE_URL": url,
            "BENCH_CONFIG": json.dumps(config or {}),
        }
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
                "--pythonpath",
                str(ROOT / "bench"),
                "--timeout",
                "60",
                "bench_http:make_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"gunicorn for {app} exited: {self.log.read()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn for {app} did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


#: What browsers and calendar clients send (hello world ignores it).
CLIENT_HEADERS = {"Accept-Language": "sv", "Accept-Encoding": "gzip, deflate"}


def request(
    port: int, method: str, path: str, body: str | None = None, *, gzip: bool = True
) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = dict(CLIENT_HEADERS)
    if not gzip:
        headers["Accept-Encoding"] = "identity"
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def sequential(run: Callable[[], int], n: int, expect: int = 200) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``n`` calls (after a warm-up)."""
    for _ in range(min(20, n)):
        run()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        status = run()
        times.append((time.perf_counter() - started) * 1000)
        assert status == expect, status
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def concurrent(run: Callable[[], int], clients: int, each: int, expect: int) -> float:
    """Requests per second of ``clients`` threads doing ``each`` calls."""
    errors: list[int] = []

    def worker() -> None:
        for _ in range(each):
            status = run()
            if status != expect:
                errors.append(status)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:5]
    return clients * each / elapsed


def wrk(port: int, path: str, seconds: int, *, gzip: bool = True) -> float | None:
    if not shutil.which("wrk"):
        return None
    headers = {**CLIENT_HEADERS, **({} if gzip else {"Accept-Encoding": "identity"})}
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"]
        + [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        print(f"    ! wrk {path}: {non2xx.group(1)} non-2xx answers")
    return float(match.group(1)) if match else None


def registration_form(company: int) -> str:
    return urllib.parse.urlencode(
        {
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
    )


def orgnr(i: int) -> str:
    from bench_foundation import orgnr as numbered

    return numbered(i)


# --- the run -----------------------------------------------------------------------------


def run_backend(name: str, url: str, args: argparse.Namespace) -> None:
    ids = load(url)
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-" + secrets.token_hex(8),
        "ENV_NAME": "production",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    if args.cache_redis:
        config.update(CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=f"bench-{os.getpid()}:")
    servers = {
        "app": Server("traffpunkt", url, config),
        "hello": Server("hello", url),
        "select": Server("select", url),
        "register": Server("register-floor", url),
    }
    try:
        hello, app = servers["hello"].port, servers["app"].port
        small_feed = f"/feeds/organisations/{ORG_SMALL}.ics"
        big_feed = f"/feeds/organisations/{ORG_BIG}.ics"
        pages = [
            ("hello world (floor)", hello, "/", True),
            ("one SELECT + Jinja", servers["select"].port, f"/{ids['event']}", True),
            ("event page", app, f"/events/{ids['event']}", True),
            ("list page", app, "/", True),
            ("event .ics", app, f"/events/{ids['event']}.ics", True),
            ("feed 200 events", app, small_feed, True),
            ("feed 5,000 sessions", app, big_feed, True),
            ("API event list", app, "/api/v1/events", True),
            # A client that takes no gzip gets the plain body: its size is what it costs.
            ("feed 200, no gzip", app, small_feed, False),
            ("feed 5,000, no gzip", app, big_feed, False),
        ]
        print(
            f"\n== {name}: gunicorn -w 2 (sync), {args.requests} sequential requests, "
            f"wrk -t2 -c8 -d{args.wrk_seconds}s"
        )
        heads = ("median ms", "p95 ms", "× floor", "wrk req/s", "÷ floor")
        print(f"{'':24} {heads[0]:>10} {heads[1]:>8} {heads[2]:>8} {heads[3]:>10} {heads[4]:>8}")
        floor_median = floor_rps = None
        for label, port, path, gzip in pages:
            median, p95 = sequential(
                lambda port=port, path=path, gzip=gzip: request(port, "GET", path, gzip=gzip),
                args.requests,
            )
            rps = wrk(port, path, args.wrk_seconds, gzip=gzip)
            if floor_median is None:
                floor_median, floor_rps = median, rps
            rps_text = f"{rps:10.0f}" if rps else f"{'(no wrk)':>10}"
            share = f"{rps / floor_rps:8.2f}" if rps and floor_rps else f"{'':>8}"
            ratio = median / floor_median
            print(f"{label:24} {median:10.2f} {p95:8.2f} {ratio:8.2f} {rps_text} {share}")

        # A cold feed: a new version each time (an event's title changes), so no cache helps.
        engine = sa.create_engine(url)

        def cold(path: str) -> tuple[float, float]:
            def once() -> int:
                with engine.begin() as conn:
                    conn.execute(
                        sa.text(
                            "UPDATE events SET updated_at = :t WHERE id = (SELECT max(id)"
                            " FROM events WHERE organisation_id ="
                            " (SELECT id FROM organisations WHERE slug = :s))"
                        ),
                        {"t": datetime.now(UTC), "s": path.rsplit("/", 1)[1][:-4]},
                    )
                return request(app, "GET", path)

            return sequential(once, max(args.requests // 20, 5))

        for label, path in (
            ("feed 200, cold", f"/feeds/organisations/{ORG_SMALL}.ics"),
            ("feed 5,000, cold", f"/feeds/organisations/{ORG_BIG}.ics"),
        ):
            median, p95 = cold(path)
            print(f"{label:24} {median:10.2f} {p95:8.2f} {median / floor_median:8.2f}")
        engine.dispose()

        print(f"\n-- registration POST (2 participants, a new company each), {name}")
        counter = iter(range(10_000, 10_000_000))
        floor_port = servers["register"].port

        def real() -> int:
            path = f"/events/{ids['register']}/register"
            return request(app, "POST", path, registration_form(next(counter)))

        def floor() -> int:
            path = f"/{ids['floor_register']}"
            return request(floor_port, "POST", path, registration_form(next(counter)))

        n = max(args.requests // 3, 20)
        floor_median, _ = sequential(floor, n, expect=303)
        real_median, real_p95 = sequential(real, n, expect=303)
        print(f"{'plain-SQL floor':24} {floor_median:10.2f}")
        ratio = real_median / floor_median
        print(f"{'Träffpunkt':24} {real_median:10.2f} {real_p95:8.2f} {ratio:8.2f}")
        floor_rps = concurrent(floor, 8, max(n // 4, 5), 303)
        real_rps = concurrent(real, 8, max(n // 4, 5), 303)
        print(f"{'8 clients: floor':24} {floor_rps:10.1f} req/s")
        share = floor_rps / real_rps
        print(f"{'8 clients: Träffpunkt':24} {real_rps:10.1f} req/s  floor ÷ real = {share:.2f}")
    finally:
        for server in servers.values():
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests per page")
    parser.add_argument("--wrk-seconds", type=int, default=15)
    parser.add_argument("--cache-redis", action="store_true", help="the page cache in Redis")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install -y wrk): throughput columns are empty")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as workdir:
            if backend == "sqlite":
                run_backend("SQLite", f"sqlite:///{workdir}/bench.sqlite", args)
                continue
            name = f"traffpunkt_bench_http_{os.getpid()}"
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
            try:
                run_backend("PostgreSQL", url, args)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
