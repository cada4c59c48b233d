"""PostgreSQL restarted while companies register through gunicorn: every registration
either succeeded, with its booking and emails stored, or got an error page saying to try
again, with nothing stored; and the app serves again afterwards without a restart.

The restart happens on a cluster of the test's own (tests/pgcluster.py), never on the
shared server other test runs use.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.bookings.test_views import registration_form
from tests.conftest import make_app, need
from tests.gunicorn import Browser, gunicorn
from tests.pgcluster import bin_dir, private_cluster
from webapp.bookings.models import Booking, Participant
from webapp.db import db
from webapp.notifications.models import OutboxMessage

TRY_AGAIN = "please try again"


def _prepare(url: str) -> int:
    engine = sa.create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    app = make_app(url)
    with app.app_context():
        event_id = f.event(capacity=None).id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return event_id


def _register(port: int, event_id: int, n: int) -> tuple[str, object]:
    email = f"kontakt{n}@restart.example.se"
    form = registration_form(
        "",
        participants=2,
        contact_email=email,
        submission_key=f"restart-{n}",
        # A company of its own each time: a company has one active booking per event.
        org_number=f.swedish_orgnr(n),
    )
    form["participants-0-email"] = f"a{n}@restart.example.se"
    form["participants-1-email"] = f"b{n}@restart.example.se"
    del form["csrf_token"]
    try:
        answer = Browser(port).post_form(f"/events/{event_id}/register", form)
    except OSError as error:  # the connection itself failed: nothing to judge
        return email, error
    return email, answer


@pytest.mark.slow
@pytest.mark.postgresql
def test_a_database_restart_loses_or_half_writes_no_registration(tmp_path):
    need(bin_dir() is not None, "PostgreSQL's initdb is not installed (apt-get install postgresql)")
    with private_cluster() as cluster:
        event_id = _prepare(cluster.url)
        config = {
            "SQLALCHEMY_DATABASE_URI": cluster.url,
            "SECRET_KEY": "restart",
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "http://localhost",
        }
        results: list[tuple[str, object]] = []
        counter = itertools.count()
        stop = threading.Event()
        with gunicorn(config, workers=2, error_log=tmp_path / "gunicorn.log") as port:

            def keep_registering() -> None:
                while not stop.is_set():
                    results.append(_register(port, event_id, next(counter)))

            threads = [threading.Thread(target=keep_registering) for _ in range(3)]
            for thread in threads:
                thread.start()
            while len(results) < 6:
                time.sleep(0.05)
            cluster.stop("fast")
            time.sleep(2)  # an outage long enough for requests to meet it
            cluster.start()
            during = len(results)
            while len(results) < during + 6:
                time.sleep(0.05)
            stop.set()
            for thread in threads:
                thread.join()
            # Recovered without a restart of the app.
            email, after = _register(port, event_id, next(counter))
            results.append((email, after))
            assert after.status == 303, after.text[:500]

        engine = sa.create_engine(cluster.url)
        with engine.connect() as conn:
            stored = {
                row.contact_email: row.id
                for row in conn.execute(sa.select(Booking.contact_email, Booking.id))
            }
            participants = dict(
                conn.execute(
                    sa.select(Participant.booking_id, sa.func.count()).group_by(
                        Participant.booking_id
                    )
                ).all()
            )
            emails = dict(
                conn.execute(
                    sa.select(OutboxMessage.booking_id, sa.func.count()).group_by(
                        OutboxMessage.booking_id
                    )
                ).all()
            )
        engine.dispose()

    outcomes = {"ok": 0, "error": 0}
    for email, answer in results:
        if isinstance(answer, OSError):
            assert email not in stored
            continue
        if answer.status == 303:
            assert "/confirmation" in answer.location
            booking_id = stored[email]
            assert participants[booking_id] == 2
            assert emails.get(booking_id, 0) >= 1, "a booking without its emails"
            outcomes["ok"] += 1
        else:
            assert answer.status in (500, 503), (answer.status, answer.text[:500])
            assert TRY_AGAIN in answer.text
            assert email not in stored, "an error page, yet the booking was stored"
            outcomes["error"] += 1
    assert outcomes["error"] >= 1, f"no request met the outage: {outcomes}"
    assert outcomes["ok"] >= 12, outcomes
    assert len(stored) == outcomes["ok"]
