"""The reminder plan in people's terms: days on the Stockholm wall clock across the change
from summer time, the defaults per kind from the event form, the previous-session rule,
and a changed plan re-planning what is pending (never what was sent)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.organisers.test_events import _edit_form, _form
from webapp.accounts.models import Role
from webapp.db import db
from webapp.events.models import DAY_MINUTES, Event, EventKind, EventSession, EventStatus
from webapp.events.services import sync_span
from webapp.i18n import STOCKHOLM
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage
from webapp.notifications.outbox import reminder_due

WEEK = 7 * DAY_MINUTES


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM).astimezone(UTC)


def _series(starts: list[datetime], **fields: object) -> Event:
    event = f.event(kind=EventKind.WORKSHOP_SERIES, **fields)
    event.sessions = [EventSession(starts_at=s, ends_at=s + timedelta(hours=3)) for s in starts]
    sync_span(event)
    db.session.flush()
    return event


def _due(status: MessageStatus = MessageStatus.PENDING) -> list[tuple[int, int, datetime]]:
    """(session index, offset, due) of the first participant's reminders."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.REMINDER, OutboxMessage.status == status)
        .order_by(OutboxMessage.due_at)
    ).all()
    first = min(r.participant_id for r in rows) if rows else None
    event = rows[0].event if rows else None
    index = {s.id: i for i, s in enumerate(event.sessions)} if event else {}
    return [
        (index[r.session_id], r.payload["offset"], r.due_at)
        for r in rows
        if r.participant_id == first
    ]


def test_a_day_before_is_the_same_clock_time_across_a_change_of_summer_time():
    # Summer time ends on 2027-10-31 at 03:00 (back to 02:00).
    sunday = _local(2027, 10, 31, 13, 0)
    assert reminder_due(sunday, DAY_MINUTES) == _local(2027, 10, 30, 13, 0)
    assert reminder_due(sunday, DAY_MINUTES) == sunday - timedelta(hours=25)
    # A week before a winter-time Sunday is the same clock time the Sunday of the change.
    assert reminder_due(_local(2027, 11, 7, 9, 0), WEEK) == _local(2027, 10, 31, 9, 0)
    # Summer time begins on 2027-03-28: a week before Monday the 29th at 09:00.
    assert reminder_due(_local(2027, 3, 29, 9, 0), WEEK + 60) == _local(2027, 3, 22, 8, 0)


def test_series_defaults_across_the_october_change(app, client):
    org = f.organisation()
    organiser = h.user(org, Role.ORGANISER)
    db.session.commit()
    h.login_session(client, organiser)
    data = _form(
        organisation=str(org.id),
        kind="workshop_series",
        default_reminders="y",
        **{
            "sessions-0-start_date": "2027-10-29",  # Friday, summer time
            "sessions-0-start_time": "09:00",
            "sessions-0-end_time": "12:00",
            "sessions-1-start_date": "2027-10-31",  # Sunday, the day the clocks go back
            "sessions-1-start_time": "13:00",
            "sessions-1-end_time": "16:00",
            "sessions-2-id": "",
            "sessions-2-start_date": "2027-11-02",  # Tuesday, winter time
            "sessions-2-start_time": "09:00",
            "sessions-2-end_time": "12:00",
            "sessions-2-end_date": "",
            "sessions-2-title": "",
            "sessions-2-venue": "",
        },
    )
    response = h.post_form(client, "/organisers/events/new", data)
    assert response.status_code == 303, response.text
    event = db.session.scalars(select(Event)).one()
    assert (event.reminder_offsets, event.first_reminder_offsets) == ([DAY_MINUTES], [WEEK])
    event.status = EventStatus.PUBLISHED
    f.book(event, 2)
    db.session.commit()
    assert _due() == [
        (0, WEEK, _local(2027, 10, 22, 9, 0)),  # a week before the first only
        (0, DAY_MINUTES, _local(2027, 10, 28, 9, 0)),
        (1, DAY_MINUTES, _local(2027, 10, 30, 13, 0)),  # summer time still: 11:00 UTC
        (2, DAY_MINUTES, _local(2027, 11, 1, 9, 0)),
    ]
    assert _due()[2][2] == datetime(2027, 10, 30, 11, 0, tzinfo=UTC)
    assert _due()[3][2] == datetime(2027, 11, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "every", "first"),
    [
        ("webinar", [WEEK, DAY_MINUTES, 60], []),
        ("conference", [WEEK, DAY_MINUTES], []),
        ("workshop_series", [DAY_MINUTES], [WEEK]),
    ],
)
def test_the_form_offers_the_kinds_defaults(app, client, kind, every, first):
    org = f.organisation()
    organiser = h.user(org, Role.ORGANISER)
    db.session.commit()
    h.login_session(client, organiser)
    page = client.get("/organisers/events/new")
    assert re.search(r'<input[^>]* checked id="default_reminders"', page.text)
    extra = {"online_url": "https://meet.example.se/x"} if kind == "webinar" else {}
    response = h.post_form(
        client,
        "/organisers/events/new",
        _form(organisation=str(org.id), kind=kind, default_reminders="y", **extra),
    )
    assert response.status_code == 303, response.text
    event = db.session.scalars(select(Event)).one()
    assert (event.reminder_offsets, event.first_reminder_offsets) == (every, first)
    # Editing shows the plan in days and hours, the default box unticked.
    edit = client.get(f"/organisers/events/{event.id}/edit").text
    assert 'name="reminders-0-days"' in edit and f'value="{every[0] // DAY_MINUTES}"' in edit


def test_no_reminder_before_the_previous_session_is_over(app):
    # Daily sessions 09:00–12:00: "the day before" the second is while the first starts.
    monday = _local(2027, 3, 1, 9, 0)
    event = _series(
        [monday, monday + timedelta(days=1), monday + timedelta(days=3)],
        reminder_offsets=[DAY_MINUTES, 2 * DAY_MINUTES],
    )
    f.book(event, 1)
    db.session.commit()
    assert _due() == [
        (0, 2 * DAY_MINUTES, _local(2027, 2, 27, 9, 0)),
        (0, DAY_MINUTES, _local(2027, 2, 28, 9, 0)),
        # Session 1: both would come before session 0 is over (Monday 12:00): dropped.
        # Session 2 (Thursday): two days before is Tuesday 09:00, while session 1 runs.
        (2, DAY_MINUTES, _local(2027, 3, 3, 9, 0)),
    ]


def test_a_changed_plan_replans_what_is_pending_and_never_resends(app, client):
    org = f.organisation()
    organiser = h.user(org, Role.ORGANISER)
    start = _local(2027, 3, 10, 9, 0)
    event = f.event(org, starts_at=start, reminder_offsets=[WEEK, DAY_MINUTES])
    f.book(event, 1)
    db.session.commit()
    week = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER)
    ).all()
    sent = next(r for r in week if r.payload["offset"] == WEEK)
    sent.status = MessageStatus.SENT
    db.session.commit()
    h.login_session(client, organiser)
    # New plan: a week before (sent already), two days and three hours before.
    plan = {
        "reminders-0-days": "7",
        "reminders-0-hours": "",
        "reminders-0-scope": "each",
        "reminders-1-days": "2",
        "reminders-1-hours": "",
        "reminders-1-scope": "each",
        "reminders-2-days": "",
        "reminders-2-hours": "3",
        "reminders-2-scope": "each",
    }
    response = h.post_form(client, f"/organisers/events/{event.id}/edit", _edit_form(event, **plan))
    assert response.status_code == 303, response.text
    db.session.expire_all()
    assert [(o, d) for _i, o, d in _due()] == [
        (2 * DAY_MINUTES, _local(2027, 3, 8, 9, 0)),
        (180, _local(2027, 3, 10, 6, 0)),
    ]
    assert [o for _i, o, _d in _due(MessageStatus.CANCELLED)] == [DAY_MINUTES]
    assert [o for _i, o, _d in _due(MessageStatus.SENT)] == [WEEK]
    # Back to one day before: the cancelled one returns, the week-ahead one stays sent.
    again = {**plan, "reminders-1-days": "1", "reminders-2-hours": ""}
    h.post_form(client, f"/organisers/events/{event.id}/edit", _edit_form(event, **again))
    db.session.expire_all()
    assert [o for _i, o, _d in _due()] == [DAY_MINUTES]
    assert [o for _i, o, _d in _due(MessageStatus.SENT)] == [WEEK]
    assert sorted(o for _i, o, _d in _due(MessageStatus.CANCELLED)) == [180, 2 * DAY_MINUTES]
