"""No interleaving of concurrent bookings can overbook, on SQLite (file) and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests import factories as f
from webapp.bookings import services
from webapp.bookings.models import Booking, BookingStatus
from webapp.db import db
from webapp.events.models import Event

THREADS = 50

pytestmark = pytest.mark.parametrize(
    "app_config",
    [
        {
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_size": THREADS + 5,
                "max_overflow": 0,
                "pool_timeout": 60,
            }
        }
    ],
)


def _race(app, event_id: int, sizes: list[int], action=None) -> list[str]:
    """Run one registration per size at the same moment from ``len(sizes)`` threads."""
    barrier = threading.Barrier(len(sizes))

    def attempt(i: int) -> str:
        with app.app_context():
            barrier.wait()
            try:
                booking = services.register(
                    event_id,
                    f.company_data(100 + i),
                    services.ContactData("Kontakt", f"c{i}@example.se"),
                    [
                        services.ParticipantData(f"P{i}-{k}", f"p{i}.{k}@example.se")
                        for k in range(sizes[i])
                    ],
                    consent_version="test",
                )
                db.session.commit()
                return booking.status.value
            except services.BookingError as error:
                db.session.rollback()
                return f"refused: {error}"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(sizes)) as pool:
        return list(pool.map(attempt, range(len(sizes))))


def _assert_consistent(event_id: int, capacity: int) -> int:
    db.session.rollback()  # end the test's own transaction: read what the threads committed
    event = db.session.get(Event, event_id)
    held = db.session.scalar(
        select(func.coalesce(func.sum(Booking.seats_held), 0)).where(
            Booking.event_id == event_id, Booking.status == BookingStatus.CONFIRMED
        )
    )
    assert event.seats_taken == held <= capacity
    return event.seats_taken


@pytest.mark.slow
def test_fifty_threads_booking_the_last_seats_never_overbook(app):
    event = f.event(capacity=60)
    for i in range(5):
        f.book(event, 10, company=i)  # 50 of 60 seats taken: 10 left
    db.session.commit()

    results = _race(app, event.id, [1] * THREADS)

    assert sorted(set(results)) == ["confirmed", "waitlisted"]
    assert results.count("confirmed") == 10
    assert results.count("waitlisted") == THREADS - 10
    assert _assert_consistent(event.id, 60) == 60


@pytest.mark.slow
def test_concurrent_bookings_of_mixed_sizes_fill_exactly_or_wait_whole(app):
    event = f.event(capacity=25)
    db.session.commit()
    sizes = [1 + (i % 4) for i in range(THREADS)]

    results = _race(app, event.id, sizes)

    assert all(r in ("confirmed", "waitlisted") for r in results)
    confirmed = sum(size for size, r in zip(sizes, results, strict=True) if r == "confirmed")
    assert confirmed == _assert_consistent(event.id, 25)
    assert confirmed > 20  # small bookings keep filling seats a larger one could not take
    # Every waiting booking holds no seat and kept all its participants.
    waiting = db.session.scalars(
        select(Booking).where(Booking.status == BookingStatus.WAITLISTED)
    ).all()
    assert all(b.seats_held == 0 and len(b.participants) >= 1 for b in waiting)


@pytest.mark.slow
def test_concurrent_cancellations_and_bookings_keep_the_count(app):
    event = f.event(capacity=20)
    first = [f.book(event, 1, company=i) for i in range(20)]
    db.session.commit()
    ids = [b.id for b in first]
    event_id = event.id  # threads must not touch the test session's objects
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                if i < 20:
                    services.cancel(ids[i])
                else:
                    services.register(
                        event_id,
                        f.company_data(500 + i),
                        services.ContactData("K", f"k{i}@example.se"),
                        [services.ParticipantData(f"Q{i}", f"q{i}@example.se")],
                        consent_version="test",
                    )
                db.session.commit()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(work, range(THREADS)))

    # All 20 first bookings were cancelled; 30 new ones competed for 20 seats, and every
    # seat freed went to a waiting booking, in the same transaction as the cancellation.
    assert _assert_consistent(event.id, 20) == 20
    statuses = db.session.scalars(select(Booking.status).where(Booking.id.not_in(ids))).all()
    assert statuses.count(BookingStatus.CONFIRMED) == 20
    assert statuses.count(BookingStatus.WAITLISTED) == 10
