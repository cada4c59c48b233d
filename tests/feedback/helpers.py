"""Bookings whose participants were (or were not) marked present, and answers to them."""

from __future__ import annotations

from tests import factories as f
from webapp.bookings.models import Attendance, Booking
from webapp.db import db
from webapp.events.models import Event
from webapp.feedback import services


def booking_with_attendance(
    event: Event, n: int = 2, *, present: int | None = None, language: str = "sv"
) -> Booking:
    """A confirmed booking of ``n`` participants; the first ``present`` (default all) were
    marked present at the first session, the others absent. Committed."""
    booking = f.book(event, n, language=language)
    present = n if present is None else present
    for index, person in enumerate(booking.participants):
        db.session.add(
            Attendance(
                participant_id=person.id,
                session_id=event.sessions[0].id,
                present=index < present,
            )
        )
    db.session.commit()
    return booking


def answer(participant_id: int, overall: int, usefulness: int, *texts: str | None):
    first, second = (*texts, None, None)[:2]
    return services.submit(
        participant_id,
        overall=overall,
        usefulness=usefulness,
        answer_1=first,
        answer_2=second,
        language="sv",
    )
