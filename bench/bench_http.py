"""Public pages, feeds and registration over HTTP under gunicorn, against the floors.

    .venv/bin/python bench/bench_http.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/bench_http.py --backends sqlite --wrk-seconds 5 --requests 200
    .venv/bin/python bench/bench_http.py --cache-redis    # the page cache in Redis
    .venv/bin/python bench/bench_http.py --only registration --requests 300

For each database it loads 200 future events of one organisation (1–4 sessions each) and
250 events of 20 sessions (5,000 sessions) of another, then starts, each with gunicorn and
2 sync workers: Träffpunkt in production mode, a bare Flask "hello world" (the floor), a
bare Flask page doing one SELECT and rendering a compiled Jinja template, and a bare Flask
registration endpoint writing the same rows as a registration, into the same tables, with
plain SQL in one transaction (``_register_floor``). It measures sequential requests (a
new connection each, as gunicorn's sync workers close them) and ``wrk -t2 -c8`` on each
page, and prints each figure with its ratio to the hello-world floor; the registration
POST against its floor, sequential and with 8 concurrent clients (``--only registration``:
that alone, a third of ``--requests`` each). Targets: issue 17 (bench/README.md).
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
from collections.abc import Callable, Sequence
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
    from flask import Flask
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

    return _register_floor(app, engine)


def _register_floor(app: Any, engine: sa.Engine) -> Any:
    """The floor of a registration: the rows a real one writes, in plain SQL, one transaction.

    What ``POST /events/<id>/register`` writes for the bench's event (a conference of one
    session, no capacity limit, no de minimis aid, no questions): the company and its
    history entry (``company_changes``), the seats (``events.seats_taken``), the booking
    (confirmed, with what was declared, its hashed submission key and nonces), the two
    participants, eight outbox rows (the contact's confirmation, one per participant, each
    participant's reminders 7 days and 1 day before the session, the company's directory
    invitation) and the company's directory profile, marked invited. Into the app's own
    tables, so the indexes and constraints are the same. The reads a hand-written version
    needs come first: the event with its sessions (locked ``FOR UPDATE`` on PostgreSQL, as
    the app locks it), the submission key (a repeated form returns the first booking) and
    the company. Ten statements; SQLite connections set up as the app's
    (``webapp.db.configure_engine``: WAL, ``synchronous=NORMAL``, ``BEGIN IMMEDIATE``).
    """
    import hashlib
    import secrets as random_tokens

    from flask import request

    from webapp.db import configure_engine

    configure_engine(engine)
    postgres = engine.dialect.name == "postgresql"

    def stamp(moment: datetime) -> datetime | str:
        # The app's UTCDateTime: aware on PostgreSQL, naive UTC text on SQLite.
        return moment if postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    lock = " FOR UPDATE OF e" if postgres else ""
    read_event = sa.text(
        "SELECT e.status, e.registration_opens_at, e.registration_closes_at, e.starts_at,"
        " e.ends_at, s.id, s.starts_at FROM events e JOIN event_sessions s ON s.event_id = e.id"
        " WHERE e.id = :id AND s.cancelled_at IS NULL ORDER BY s.starts_at" + lock
    )
    read_submission = sa.text("SELECT id FROM bookings WHERE submission_key = :k")
    read_company = sa.text("SELECT id FROM companies WHERE country = :c AND org_number = :n")
    add_company = sa.text(
        "INSERT INTO companies (country, org_number, name, county, size_class, created_at,"
        " updated_at) VALUES ('SE', :n, :name, :county, 'small', :t, :t) RETURNING id"
    )
    add_change = sa.text(
        "INSERT INTO company_changes (company_id, kind, changes, created_at)"
        " VALUES (:c, 'created', :changes, :t)"
    )
    take_seats = sa.text(
        "UPDATE events SET seats_taken = seats_taken + :n, updated_at = :t WHERE id = :id"
        " AND (capacity IS NULL OR seats_taken + :n <= capacity)"
    )
    add_booking = sa.text(
        "INSERT INTO bookings (event_id, company_id, status, seats_held, contact_name,"
        " contact_email, language, consent_version, consent_at, invitations_opt_in,"
        " token_nonce, feed_nonce, submission_key, created_at, updated_at, declared_country,"
        " declared_org_number, declared_name, declared_county, declared_size_class,"
        " declared_staff_band, declared_turnover_band) VALUES (:e, :c, 'confirmed', :n,"
        " :name, :email, 'sv', 'none', :t, false, :nonce, :feed, :k, :t, :t, 'SE', :org,"
        " :company, :county, 'small', :staff, :turnover) RETURNING id"
    )
    add_profile = sa.text(
        "INSERT INTO company_profiles (company_id, offers, seeks, description, description_en,"
        " languages, county, country, edit_nonce, invited_at, created_at, updated_at)"
        " VALUES (:c, '', '', '', '', '[]', :county, 'SE', :nonce, :t, :t, :t) RETURNING id"
    )
    outbox_columns = (
        "dedupe_key, kind, status, recipient_email, recipient_name, event_id, booking_id,"
        " participant_id, session_id, payload, due_at, next_attempt_at, attempts, resends,"
        " created_at"
    )

    def outbox_row(i: int) -> str:
        return (
            f"(:k{i}, :kind{i}, 'pending', :m{i}, :name{i}, :e, :b, :p{i}, :s{i}, :payload{i},"
            f" :due{i}, :due{i}, 0, 0, :t)"
        )

    @app.post("/<int:event_id>")
    def register(event_id: int) -> tuple[str, int, dict[str, str]]:
        form = request.form
        now = datetime.now(UTC)
        t = stamp(now)
        digest = hashlib.sha256(form["submission_key"].encode()).hexdigest()
        people = [
            (form[f"participants-{i}-name"], form[f"participants-{i}-email"]) for i in range(2)
        ]
        with engine.connect() as conn:
            conn = conn.execution_options(traffpunkt_sqlite_immediate=True)
            with conn.begin():
                rows = conn.execute(read_event, {"id": event_id}).all()
                if not rows or rows[0][0] != "published":
                    return "", 404, {}
                earlier = conn.execute(read_submission, {"k": digest}).scalar()
                if earlier is not None:
                    return "", 303, {"Location": f"/bookings/{earlier}"}
                identity = {"c": "SE", "n": form["org_number"]}
                company = conn.execute(read_company, identity).scalar()
                if company is None:
                    company = conn.execute(
                        add_company,
                        {
                            "n": form["org_number"],
                            "name": form["company_name"],
                            "county": "14",
                            "t": t,
                        },
                    ).scalar()
                    changes = {
                        "name": [None, form["company_name"]],
                        "country": [None, "SE"],
                        "org_number": [None, form["org_number"]],
                        "county": [None, "14"],
                        "size_class": [None, "small"],
                    }
                    conn.execute(add_change, {"c": company, "changes": json.dumps(changes), "t": t})
                if (
                    conn.execute(take_seats, {"n": len(people), "id": event_id, "t": t}).rowcount
                    != 1
                ):
                    return "", 409, {}
                booking = conn.execute(
                    add_booking,
                    {
                        "e": event_id,
                        "c": company,
                        "n": len(people),
                        "name": form["contact_name"],
                        "email": form["contact_email"],
                        "t": t,
                        "nonce": random_tokens.token_hex(16),
                        "feed": random_tokens.token_hex(16),
                        "k": digest,
                        "org": form["org_number"],
                        "company": form["company_name"],
                        "county": form["county"],
                        "staff": form["staff_band"],
                        "turnover": form["turnover_band"],
                    },
                ).scalar()
                values = ", ".join(
                    f"(:b, :name{i}, :m{i}, :nonce{i}, :t)" for i in range(len(people))
                )
                params: dict[str, Any] = {"b": booking, "t": t}
                for i, (name, email) in enumerate(people):
                    params.update(
                        {f"name{i}": name, f"m{i}": email, f"nonce{i}": random_tokens.token_hex(16)}
                    )
                ids = dict(
                    conn.execute(
                        sa.text(
                            "INSERT INTO participants (booking_id, name, email, feed_nonce,"
                            f" created_at) VALUES {values} RETURNING email, id"
                        ),
                        params,
                    ).all()
                )
                # The contact's confirmation, each participant's, their reminders (7 days
                # and 1 day before each session that gets them: the first), the invitation.
                messages = [
                    (
                        "confirmed",
                        f"confirmed:b{booking}:c:1",
                        form["contact_email"],
                        form["contact_name"],
                        None,
                        None,
                        {},
                        now,
                    )
                ]
                for name, email in people:
                    messages.append(
                        (
                            "confirmed",
                            f"confirmed:b{booking}:p{ids[email]}:1",
                            email,
                            name,
                            ids[email],
                            None,
                            {},
                            now,
                        )
                    )
                session, starts = rows[0][5], rows[0][6]
                starts = starts if postgres else datetime.fromisoformat(starts).replace(tzinfo=UTC)
                for name, email in people:
                    for offset in (10080, 1440):
                        messages.append(
                            (
                                "reminder",
                                f"reminder:p{ids[email]}:s{session}:o{offset}",
                                email,
                                name,
                                ids[email],
                                session,
                                {"offset": offset},
                                starts - timedelta(minutes=offset),
                            )
                        )
                nonce = random_tokens.token_hex(16)
                profile = conn.execute(
                    add_profile, {"c": company, "county": "14", "nonce": nonce, "t": t}
                ).scalar()
                ends = rows[0][4] if postgres else datetime.fromisoformat(rows[0][4])
                messages.append(
                    (
                        "directory_invitation",
                        f"directory_invitation:c{company}:{nonce[:8]}",
                        form["contact_email"],
                        form["contact_name"],
                        None,
                        None,
                        {"profile_id": profile},
                        ends,
                    )
                )
                params = {"e": event_id, "b": booking, "t": t}
                for i, (kind, key, email, name, participant, session_id, payload, due) in enumerate(
                    messages
                ):
                    params.update(
                        {
                            f"k{i}": key,
                            f"kind{i}": kind,
                            f"m{i}": email,
                            f"name{i}": name,
                            f"p{i}": participant,
                            f"s{i}": session_id,
                            f"payload{i}": json.dumps(payload),
                            f"due{i}": stamp(due) if isinstance(due, datetime) else due,
                        }
                    )
                rows_sql = ", ".join(outbox_row(i) for i in range(len(messages)))
                conn.execute(
                    sa.text(f"INSERT INTO outbox_messages ({outbox_columns}) VALUES {rows_sql}"),
                    params,
                )
        return "", 303, {"Location": f"/bookings/{booking}"}

    return app


# --- data --------------------------------------------------------------------------------


def load(url: str) -> dict[str, int]:
    """The schema and the catalogue; returns the ids the measurements use."""
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
        floor_id = add(1, 1, EventKind.CONFERENCE, None)  # the same event for the floor
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
            conn.execute(sa.text("ANALYZE"))
        db.engine.dispose()
    return {"event": 7, "register": register_id, "floor_register": floor_id}


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
            # Not the repository: gunicorn would read its gunicorn.conf.py (an access log,
            # workers recycled every 5,000 requests) for the floors too.
            cwd=tempfile.gettempdir(),
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


def interleaved(
    runs: Sequence[Callable[[], int]], n: int, expect: int = 200
) -> list[tuple[float, float]]:
    """:func:`sequential` of each of ``runs``, taken in turns (the order swapped every round),
    so that what the machine or the database does meanwhile (another process, a WAL
    checkpoint) falls on each alike."""
    for run in runs:
        for _ in range(min(20, n)):
            run()
    times: list[list[float]] = [[] for _ in runs]
    order = list(range(len(runs)))
    for _ in range(n):
        for index in order:
            started = time.perf_counter()
            status = runs[index]()
            times[index].append((time.perf_counter() - started) * 1000)
            assert status == expect, status
        order.reverse()
    figures = []
    for measured in times:
        measured.sort()
        figures.append((statistics.median(measured), measured[int(len(measured) * 0.95) - 1]))
    return figures


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
    """bench_foundation's registration (two participants, company ``company``), encoded."""
    from bench_foundation import registration_form as fields

    return urllib.parse.urlencode(fields(company))


# --- the run -----------------------------------------------------------------------------


def measure_registration(
    name: str, ids: dict[str, int], servers: dict[str, Server], args: argparse.Namespace
) -> None:
    """The registration POST against its floor, sequential and with 8 concurrent clients."""
    app = servers["app"].port
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
    (floor_median, _), (real_median, real_p95) = interleaved([floor, real], n, expect=303)
    print(f"{'plain-SQL floor':24} {floor_median:10.2f}")
    ratio = real_median / floor_median
    print(f"{'Träffpunkt':24} {real_median:10.2f} {real_p95:8.2f} {ratio:8.2f}")
    floor_rps = concurrent(floor, 8, max(n // 4, 5), 303)
    real_rps = concurrent(real, 8, max(n // 4, 5), 303)
    print(f"{'8 clients: floor':24} {floor_rps:10.1f} req/s")
    share = floor_rps / real_rps
    print(f"{'8 clients: Träffpunkt':24} {real_rps:10.1f} req/s  floor ÷ real = {share:.2f}")


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
        if args.only == "registration":
            measure_registration(name, ids, servers, args)
            return
        hello, app = servers["hello"].port, servers["app"].port
        small_feed = f"/feeds/organisations/{ORG_SMALL}.ics"
        big_feed = f"/feeds/organisations/{ORG_BIG}.ics"
        pages = [
            ("hello world (first)", hello, "/", True),
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
        # The floor is measured first and again last, and the faster of the two is the one
        # every ratio is to: a floor slowed by the load just done (PostgreSQL writing out
        # the catalogue) would flatter every figure.
        pages.append(("hello world (again)", hello, "/", True))
        measured = []
        for label, port, path, gzip in pages:
            median, p95 = sequential(
                lambda port=port, path=path, gzip=gzip: request(port, "GET", path, gzip=gzip),
                args.requests,
            )
            measured.append((label, median, p95, wrk(port, path, args.wrk_seconds, gzip=gzip)))
        floors = [m for m in measured if m[0].startswith("hello world")]
        floor_median = min(m[1] for m in floors)
        rates = [m[3] for m in floors if m[3]]
        floor_rps = max(rates) if rates else None
        print(
            f"\n== {name}: gunicorn -w 2 (sync), {args.requests} sequential requests, "
            f"wrk -t2 -c8 -d{args.wrk_seconds}s; ratios to the faster hello world"
        )
        heads = ("median ms", "p95 ms", "× floor", "wrk req/s", "÷ floor")
        print(f"{'':24} {heads[0]:>10} {heads[1]:>8} {heads[2]:>8} {heads[3]:>10} {heads[4]:>8}")
        for label, median, p95, rps in measured:
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

        measure_registration(name, ids, servers, args)
    finally:
        for server in servers.values():
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests per page")
    parser.add_argument("--wrk-seconds", type=int, default=15)
    parser.add_argument("--cache-redis", action="store_true", help="the page cache in Redis")
    parser.add_argument(
        "--only", choices=["registration"], help="measure only the registration POST"
    )
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
