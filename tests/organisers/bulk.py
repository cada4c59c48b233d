"""Many bookings at once, inserted directly (no signals, no outbox): for size tests and bench."""

from __future__ import annotations

from sqlalchemy import insert, select

from tests.factories import swedish_orgnr
from webapp import tokens
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.companies.models import Company, SizeClass
from webapp.db import db, utcnow
from webapp.events.models import Event


def bookings(event: Event, n: int, participants_each: int = 1, offset: int = 10_000) -> None:
    """``n`` confirmed bookings of distinct companies with ``participants_each`` people each."""
    now = utcnow()
    db.session.execute(
        insert(Company),
        [
            {
                "country": "SE",
                "org_number": swedish_orgnr(offset + i),
                "name": f"Bulkföretag {i} AB",
                "county": "14",
                "size_class": SizeClass.SMALL,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ],
    )
    company_ids = db.session.scalars(
        select(Company.id).where(Company.name.like("Bulkföretag %")).order_by(Company.id)
    ).all()[-n:]
    db.session.execute(
        insert(Booking),
        [
            {
                "event_id": event.id,
                "company_id": company_id,
                "status": BookingStatus.CONFIRMED,
                "seats_held": participants_each,
                "contact_name": f"Kontakt {i}",
                "contact_email": f"kontakt{i}@bulk.example.se",
                "language": "sv",
                "consent_version": "test",
                "consent_at": now,
                "token_nonce": tokens.new_nonce(),
                "created_at": now,
                "updated_at": now,
            }
            for i, company_id in enumerate(company_ids)
        ],
    )
    booking_ids = db.session.scalars(
        select(Booking.id).where(Booking.event_id == event.id).order_by(Booking.id)
    ).all()[-n:]
    db.session.execute(
        insert(Participant),
        [
            {
                "booking_id": booking_id,
                "name": f"Person {booking_id}-{j}",
                "email": f"p{booking_id}.{j}@bulk.example.se",
                "feed_nonce": tokens.new_nonce(),
                "created_at": now,
            }
            for booking_id in booking_ids
            for j in range(participants_each)
        ],
    )
    event_row = db.session.get(Event, event.id)
    event_row.seats_taken += n * participants_each
    db.session.flush()
