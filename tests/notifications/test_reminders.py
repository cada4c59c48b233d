"""Reminder planning: offsets, late bookings, re-planning, cancellation, series."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories as f
from webapp.bookings import services as bookings
from webapp.db import db, utcnow
from webapp.events import services as events
from webapp.events.models import Event, EventKind
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

DAY = 24 * 60


def reminders(status: MessageStatus | None = MessageStatus.PENDING) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(db.session.scalars(stmt.order_by(OutboxMessage.due_at)))


def test_default_offsets_seven_days_and_one_day_before(app):
    event = f.event()
    booking = f.book(event, 2)
    db.session.commit()
    start = event.sessions[0].starts_at
    got = reminders()
    assert len(got) == 4
    assert {r.due_at for r in got} == {start - timedelta(days=7), start - timedelta(days=1)}
    assert {r.participant_id for r in got} == {p.id for p in booking.participants}


def test_offsets_already_past_are_skipped(app):
    event = f.event(starts_at=utcnow() + timedelta(days=2))
    f.book(event, 1)
    db.session.commit()
    assert [r.payload["offset"] for r in reminders()] == [DAY]


def test_booking_after_the_last_reminder_gets_none(app):
    event = f.event(starts_at=utcnow() + timedelta(hours=5))
    f.book(event, 1)
    db.session.commit()
    assert reminders(None) == []


def test_waitlisted_and_pending_get_none_until_confirmed(app):
    event = f.event(capacity=1)
    first = f.book(event, 1, company=1)
    waiting = f.book(event, 1, company=2)
    db.session.commit()
    assert {r.booking_id for r in reminders()} == {first.id}
    bookings.cancel(first.id)
    db.session.commit()
    assert {r.booking_id for r in reminders()} == {waiting.id}
    assert {r.booking_id for r in reminders(MessageStatus.CANCELLED)} == {first.id}


def test_removed_participant_loses_reminders_added_one_gets_them(app):
    event = f.event()
    booking = f.book(event, 2)
    added = bookings.add_participants(booking.id, f.people(1))[0]
    bookings.remove_participant(booking.id, booking.participants[0].id)
    db.session.commit()
    assert {r.participant_id for r in reminders()} == {booking.participants[1].id, added.id}


def test_time_change_replans_pending_but_never_resends(app):
    event = f.event(reminder_offsets=[7 * DAY, DAY])
    f.book(event, 1)
    db.session.commit()
    week = reminders()[0]
    week.status = MessageStatus.SENT  # the 7-day reminder went out
    db.session.commit()

    event = db.session.get(Event, event.id)
    for session in event.sessions:
        session.starts_at += timedelta(days=3)
        session.ends_at += timedelta(days=3)
    events.record_change(event, times_changed=True, place_changed=False)
    db.session.commit()
    new_start = event.sessions[0].starts_at
    assert [r.due_at for r in reminders()] == [new_start - timedelta(days=1)]
    assert db.session.get(OutboxMessage, week.id).status == MessageStatus.SENT


def test_moving_an_event_closer_cancels_reminders_now_in_the_past(app):
    event = f.event(starts_at=utcnow() + timedelta(days=10))
    f.book(event, 1)
    db.session.commit()
    event = db.session.get(Event, event.id)
    session = event.sessions[0]
    session.starts_at, session.ends_at = (
        utcnow() + timedelta(days=3),
        utcnow() + timedelta(days=3, hours=2),
    )
    events.record_change(event, times_changed=True, place_changed=False)
    db.session.commit()
    assert [r.payload["offset"] for r in reminders()] == [DAY]
    assert [r.payload["offset"] for r in reminders(MessageStatus.CANCELLED)] == [7 * DAY]


def test_workshop_series_reminds_before_each_session(app):
    event = f.event(kind=EventKind.WORKSHOP_SERIES, sessions=3, reminder_offsets=[DAY])
    f.book(event, 1)
    db.session.commit()
    assert [r.session_id for r in reminders()] == [s.id for s in event.sessions]
    assert [r.due_at for r in reminders()] == [
        s.starts_at - timedelta(days=1) for s in event.sessions
    ]


def test_conference_over_several_days_reminds_before_the_first_only(app):
    event = f.event(sessions=2, session_gap=timedelta(days=1), reminder_offsets=[DAY])
    f.book(event, 1)
    db.session.commit()
    assert [r.session_id for r in reminders()] == [event.sessions[0].id]


def test_cancelling_the_event_cancels_every_reminder(app):
    event = f.event()
    f.book(event, 2, company=1)
    f.book(event, 1, company=2)
    db.session.commit()
    events.cancel_event(event.id)
    db.session.commit()
    assert reminders() == []
    assert len(reminders(MessageStatus.CANCELLED)) == 6


def test_queueing_twice_is_ignored(app):
    from webapp.notifications import outbox

    event = f.event()
    booking = f.book(event, 1)
    outbox.plan_reminders(booking)
    outbox.plan_reminders(booking)
    db.session.commit()
    assert len(reminders()) == 2
