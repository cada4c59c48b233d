"""Several hosts: two gunicorn instances and two scheduler processes against one PostgreSQL
and one Redis, as production runs behind a load balancer (README, "Several hosts need
Redis"). Capacity, the page cache, the rate limits and the outbox must hold across them."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select, update

from tests import factories as f
from tests.conftest import need
from tests.gunicorn import ROOT, Browser, gunicorn
from webapp.bookings.models import Booking, BookingStatus
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

REDIS_URL = "redis://127.0.0.1:6379/0"
SEATS, COMPANIES = 50, 200
API_LIMIT = 20

pytestmark = pytest.mark.slow


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def db_backend() -> str:
    """PostgreSQL only: several hosts cannot share an SQLite file."""
    return "postgresql"


def _form(company: int) -> dict[str, str]:
    return {
        "country": "SE",
        "org_number": f.swedish_orgnr(company),
        "company_name": f"Värdföretag {company} AB",
        "county": "14",
        "staff_band": "10_49",
        "turnover_band": "up_to_2m",
        "contact_name": "Kontakt Person",
        "contact_email": f"kontakt{company}@hosts.example.se",
        "participants-0-name": f"Deltagare {company}",
        "participants-0-email": f"deltagare{company}@hosts.example.se",
        "consent": "y",
        "submission_key": secrets.token_urlsafe(16),
    }


def _get(port: int, path: str) -> tuple[int, str]:
    """A GET as it comes through the load balancer: the same Host header for every host."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "GET", path, headers={"Host": "traffpunkt.test", "Accept-Language": "en"}
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _seats_text(html: str) -> str:
    match = re.search(r"(\d+ (?:seats?|platser?) (?:left|kvar)|Full – waiting list)", html)
    return match.group(1) if match else ""


def test_two_hosts_two_schedulers_one_database_one_redis(app, database_url, smtp_server):
    need(_redis_reachable(), f"Redis is not reachable at {REDIS_URL}; start redis-server")
    event = f.event(capacity=SEATS, reminder_offsets=[24 * 60], title="Värdtest")
    db.session.commit()
    event_id = event.id
    prefix = f"test-{uuid.uuid4().hex}"
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "PUBLIC_BASE_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "PUBLIC_POST_LIMIT": "10000 per minute",
        "API_RATE_LIMIT": f"{API_LIMIT} per minute",
        "CACHE_REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"{prefix}-cache:",
        # Mail waits in the outbox until the schedulers run, below.
    }
    page = f"/events/{event_id}"
    try:
        with ExitStack() as stack:
            ports = [stack.enter_context(gunicorn(config, workers=2)) for _ in range(2)]

            # A page rendered on one host is served from the shared cache on the other.
            first = [_get(port, page) for port in ports]
            assert [status for status, _text in first] == [200, 200]
            assert first[0][1] == first[1][1] and "50 seats left" in first[0][1]

            # 200 registrations at once for 50 seats, spread over both hosts.
            def register(company: int):
                browser = Browser(ports[company % 2])
                return browser.post_form(f"{page}/register", _form(company))

            with ThreadPoolExecutor(max_workers=24) as pool:
                answers = list(pool.map(register, range(1, COMPANIES + 1)))
            statuses = Counter(a.status for a in answers)
            assert not [s for s in statuses if s >= 500], statuses
            assert statuses == {303: COMPANIES}, statuses
            db.session.commit()
            bookings = Counter(db.session.scalars(select(Booking.status)))
            assert bookings == {
                BookingStatus.CONFIRMED: SEATS,
                BookingStatus.WAITLISTED: COMPANIES - SEATS,
            }
            assert db.session.get(Event, event_id).seats_taken == SEATS

            # Both hosts see the change at once, whichever cached the page.
            after = [_get(port, page)[1] for port in ports]
            assert all("Full – waiting list" in text for text in after), [
                _seats_text(text) for text in after
            ]
            db.session.execute(update(Event).where(Event.id == event_id).values(title="Nytt namn"))
            db.session.commit()
            assert all("Nytt namn" in _get(port, page)[1] for port in ports)

            # The API's rate limit is counted once for both hosts.
            api = [Browser(ports[i % 2]).get("/api/v1/events").status for i in range(API_LIMIT + 6)]
            assert api.count(200) == API_LIMIT and api.count(429) == 6, api
    finally:
        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)

    # Two scheduler processes send every due message exactly once: the confirmations and
    # waiting-list notices, and the reminders made due now.
    table = OutboxMessage.__table__
    due = utcnow() - timedelta(minutes=1)
    db.session.execute(
        update(table)
        .where(table.c.kind == MessageKind.REMINDER)
        .values(due_at=due, next_attempt_at=due)
    )
    db.session.commit()
    # Due now: everything but the directory invitations, due once the event is over.
    pending = db.session.scalar(
        select(db.func.count())
        .select_from(table)
        .where(table.c.status == MessageStatus.PENDING, table.c.due_at <= utcnow())
    )
    reminders = db.session.scalar(
        select(db.func.count()).select_from(table).where(table.c.kind == MessageKind.REMINDER)
    )
    assert reminders == SEATS and pending >= COMPANIES + SEATS
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": str(smtp_server.port),
        "SECRET_KEY": "test-secret-key",
        "PUBLIC_BASE_URL": "http://localhost",
        "SCHEDULER_IN_PROCESS": "0",
    }
    command = [sys.executable, "-m", "flask", "--app", "webapp", "scheduler", "--once"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    ids = Counter(str(r.message["Message-ID"]) for r in smtp_server.received)
    assert len(ids) == pending and set(ids.values()) == {1}
    db.session.commit()
    assert Counter(
        db.session.scalars(
            select(OutboxMessage.status).where(
                OutboxMessage.kind != MessageKind.DIRECTORY_INVITATION
            )
        )
    ) == {MessageStatus.SENT: pending}
