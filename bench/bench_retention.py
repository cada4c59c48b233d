"""The daily retention job: time and SQL statements for a year of past events.

    .venv/bin/python bench/bench_retention.py [--events 500] [--participants 20]
    DATABASE_URL=postgresql+psycopg://…/empty_db .venv/bin/python bench/bench_retention.py

A fresh database (a temporary SQLite file unless DATABASE_URL names an empty one) gets one
organisation and ``--events`` events that ended 11 years ago (so every rule applies), each
with ``--participants`` participants on bookings of two (needs and a message on each) and a
sent email per participant (bulk Core inserts). Prints the time and the SQL statements of a
dry run, of the run that erases and anonymises everything, and of a second run that finds
nothing left to do.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from webapp import create_app, tokens  # noqa: E402
from webapp.bookings.models import Booking, Company, Participant  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.events.models import Event  # noqa: E402
from webapp.notifications.models import OutboxMessage  # noqa: E402
from webapp.organisations.models import Organisation  # noqa: E402
from webapp.privacy import retention  # noqa: E402


def _load(n_events: int, per_event: int) -> None:
    org = Organisation(name="Org", slug="org")
    db.session.add(org)
    db.session.flush()
    now = datetime.now(UTC)
    start = now - timedelta(days=11 * 365)
    common = {"created_at": now, "updated_at": now}
    db.session.execute(
        Event.__table__.insert(),
        [
            {
                "organisation_id": org.id,
                "kind": "webinar",
                "status": "published",
                "title": f"Event {i}",
                "summary": "",
                "description": "",
                "country": "SE",
                "seats_taken": 0,
                "requires_approval": False,
                "reminder_offsets": [],
                "sequence": 0,
                "starts_at": start + timedelta(hours=i),
                "ends_at": start + timedelta(hours=i, minutes=90),
                **common,
            }
            for i in range(n_events)
        ],
    )
    db.session.execute(
        Company.__table__.insert().values(
            id=1, country="SE", org_number="5560000001", name="AB", size_class="small", **common
        )
    )
    event_ids = db.session.scalars(sa.select(Event.id)).all()
    db.session.execute(
        Booking.__table__.insert(),
        [
            {
                "event_id": event_id,
                "company_id": 1,
                "status": "confirmed",
                "seats_held": 2,
                "contact_name": f"Kontakt {event_id}-{b}",
                "contact_email": f"kontakt{event_id}.{b}@ab.se",
                "contact_phone": "070-123 45 67",
                "message": "Vi kommer",
                "language": "sv",
                "consent_version": "1",
                "consent_at": now,
                "invitations_opt_in": True,
                "token_nonce": tokens.new_nonce(),
                "feed_nonce": tokens.new_nonce(),
                **common,
            }
            for event_id in event_ids
            for b in range(per_event // 2)
        ],
    )
    booking_ids = db.session.scalars(sa.select(Booking.id)).all()
    db.session.execute(
        Participant.__table__.insert(),
        [
            {
                "booking_id": booking_id,
                "name": f"Deltagare {booking_id}-{p}",
                "email": f"p{booking_id}.{p}@ab.se",
                "dietary_needs": "Vegan",
                "accessibility_needs": "Hörslinga",
                "feed_nonce": tokens.new_nonce(),
                "created_at": now,
            }
            for booking_id in booking_ids
            for p in range(2)
        ],
    )
    rows = db.session.execute(sa.select(Participant.id, Participant.booking_id, Participant.email))
    db.session.execute(
        OutboxMessage.__table__.insert(),
        [
            {
                "dedupe_key": f"confirmed:p{pid}",
                "kind": "confirmed",
                "status": "sent",
                "recipient_email": email,
                "recipient_name": "Deltagare",
                "booking_id": booking_id,
                "participant_id": pid,
                "payload": {},
                "due_at": start,
                "next_attempt_at": start,
                "attempts": 1,
                "resends": 0,
                "sent_at": start,
                "created_at": start,
            }
            for pid, booking_id, email in rows
        ],
    )
    db.session.commit()


def _timed(engine, **kwargs) -> tuple[float, int, dict[str, int]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    done = retention.run(**kwargs)
    elapsed = time.perf_counter() - started
    sa.event.remove(engine, "before_cursor_execute", count)
    return elapsed, len(statements), done.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--participants", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            _load(args.events, args.participants)
            engine = db.engine
            print(f"{args.events} events, {args.events * args.participants} participants")
            for label, kwargs in (
                ("dry run", {"dry_run": True}),
                ("run", {}),
                ("second run", {}),
            ):
                elapsed, statements, summary = _timed(engine, **kwargs)
                print(f"{label:>10}: {elapsed:7.2f} s, {statements:6} statements, {summary}")
            db.drop_all()


if __name__ == "__main__":
    main()
