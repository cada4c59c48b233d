"""The organiser pages from issue 14: destructive actions ask first, nothing is chosen by
default, attendance ahead of time asks, "mark everyone present", the log in words, date
fields that read the same in any browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp.accounts.models import Membership, Role
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.db import db, utcnow
from webapp.events.models import Event, EventStatus

EN = {"Accept-Language": "en"}


@pytest.fixture
def organiser(app, client):
    org = f.organisation()
    person = h.user(org, Role.ORGANISER)
    db.session.commit()
    h.login_session(client, person)
    return person


def _org(person):
    return person.memberships[0].organisation


def _post(client, url, data, page):
    token = csrf_from(client.get(page).text)
    return client.post(url, data={**data, "csrf_token": token}, headers=EN)


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def test_cancelling_a_booking_asks_and_says_the_waiting_list_moves(client, organiser):
    event = f.event(_org(organiser), capacity=2)
    first = f.book(event, 2)
    waiting = f.book(event, 1)
    db.session.commit()
    page = f"/organisers/bookings/{first.id}"
    url = f"/organisers/bookings/{first.id}/move"
    asked = _post(client, url, {"target": "cancel"}, page)
    assert asked.status_code == 200
    assert "Cancel the booking?" in asked.text
    assert "2 seats are given back; the first waiting bookings that fit get them." in asked.text
    assert _status(first.id) == BookingStatus.CONFIRMED
    done = client.post(
        url, data={"target": "cancel", "confirmed": "yes", "csrf_token": csrf_from(asked.text)}
    )
    assert done.status_code == 303
    assert _status(first.id) == BookingStatus.CANCELLED
    assert _status(waiting.id) == BookingStatus.CONFIRMED


def test_confirming_a_booking_needs_no_extra_step(client, organiser):
    event = f.event(_org(organiser), capacity=5, requires_approval=True)
    booking = f.book(event, 1)
    db.session.commit()
    page = f"/organisers/bookings/{booking.id}"
    response = _post(client, f"{page}/move", {"target": "confirm"}, page)
    assert response.status_code == 303
    assert _status(booking.id) == BookingStatus.CONFIRMED


def test_bulk_and_move_actions_have_nothing_chosen_by_default(client, organiser):
    event = f.event(_org(organiser), capacity=5, requires_approval=True)
    booking = f.book(event, 1)
    db.session.commit()
    lst = client.get(f"/organisers/events/{event.id}/attendees", headers=EN).text
    one = client.get(f"/organisers/bookings/{booking.id}", headers=EN).text
    for page, name in ((lst, "decision"), (one, "target")):
        select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page).group(1)
        assert select_html.startswith('<option value="">—</option>')
        assert "selected" not in select_html
    # Sending the default is a message, not a change.
    response = _post(
        client,
        f"/organisers/events/{event.id}/selection",
        {"decision": "", "booking": [str(booking.id)]},
        f"/organisers/events/{event.id}/attendees",
    )
    assert response.status_code == 303
    assert _status(booking.id) == BookingStatus.PENDING
    page = client.get(response.headers["Location"], headers=EN)
    assert "Choose what to do with the ticked bookings." in page.text


def test_declining_ticked_bookings_asks_first(client, organiser):
    event = f.event(_org(organiser), capacity=5, requires_approval=True)
    a, b = f.book(event, 1), f.book(event, 1)
    db.session.commit()
    url = f"/organisers/events/{event.id}/selection"
    data = {"decision": "decline", "booking": [str(a.id), str(b.id)]}
    asked = _post(client, url, data, f"/organisers/events/{event.id}/attendees")
    assert asked.status_code == 200 and "Decline 2 bookings?" in asked.text
    # The confirmation form carries both ticked bookings again.
    assert asked.text.count('name="booking"') == 2
    assert _status(a.id) == BookingStatus.PENDING
    done = client.post(url, data={**data, "confirmed": "yes", "csrf_token": csrf_from(asked.text)})
    assert done.status_code == 303
    assert _status(a.id) == _status(b.id) == BookingStatus.DECLINED


def test_removing_a_participant_asks_first(client, organiser):
    event = f.event(_org(organiser), capacity=5)
    booking = f.book(event, 2)
    db.session.commit()
    person = booking.active_participants[0]
    url = f"/organisers/participants/{person.id}/remove"
    asked = _post(client, url, {}, f"/organisers/bookings/{booking.id}")
    assert asked.status_code == 200 and f"Remove {person.name}?" in asked.text
    db.session.expire_all()
    assert db.session.get(Participant, person.id).cancelled_at is None
    client.post(url, data={"confirmed": "yes", "csrf_token": csrf_from(asked.text)})
    db.session.expire_all()
    assert db.session.get(Participant, person.id).cancelled_at is not None


def test_cancelling_an_event_asks_first(client, organiser):
    event = f.event(_org(organiser))
    db.session.commit()
    url = f"/organisers/events/{event.id}/cancel"
    asked = _post(client, url, {}, f"/organisers/events/{event.id}/edit")
    assert asked.status_code == 200 and "This cannot be undone." in asked.text
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.PUBLISHED
    client.post(url, data={"confirmed": "yes", "csrf_token": csrf_from(asked.text)})
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.CANCELLED


def test_removing_a_member_asks_first(client, app):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    colleague = h.user(org, Role.VIEWER)
    db.session.commit()
    h.login_session(client, admin)
    membership = db.session.scalars(
        select(Membership).where(Membership.user_id == colleague.id)
    ).one()
    url = f"/organisers/memberships/{membership.id}/remove"
    asked = _post(client, url, {}, f"/organisers/organisations/{org.id}/members")
    assert asked.status_code == 200 and colleague.name in asked.text
    assert db.session.get(Membership, membership.id) is not None
    client.post(url, data={"confirmed": "yes", "csrf_token": csrf_from(asked.text)})
    db.session.expire_all()
    assert db.session.get(Membership, membership.id) is None


def test_attendance_more_than_a_day_ahead_asks_and_mark_all_present(client, organiser):
    event = f.event(_org(organiser), capacity=10, starts_at=utcnow() + timedelta(days=14))
    f.book(event, 3)
    db.session.commit()
    session = event.sessions[0]
    url = f"/organisers/events/{event.id}/attendance"
    page = f"{url}?session={session.id}"
    assert "more than a day from now" in client.get(page, headers=EN).text
    asked = _post(client, url, {"session": str(session.id), "all_present": "1"}, page)
    assert asked.status_code == 200
    assert "Save attendance for a session that has not happened yet?" in asked.text
    assert db.session.scalars(select(Attendance)).all() == []
    done = client.post(
        url,
        data={
            "session": str(session.id),
            "all_present": "1",
            "confirmed": "yes",
            "csrf_token": csrf_from(asked.text),
        },
    )
    assert done.status_code == 303
    rows = db.session.scalars(select(Attendance)).all()
    assert len(rows) == 3 and all(r.present for r in rows)


def test_attendance_today_is_saved_at_once(client, organiser):
    event = f.event(_org(organiser), capacity=10, starts_at=utcnow() + timedelta(hours=2))
    f.book(event, 2)
    db.session.commit()
    session = event.sessions[0]
    url = f"/organisers/events/{event.id}/attendance"
    response = _post(client, url, {"session": str(session.id), "all_present": "1"}, url)
    assert response.status_code == 303
    assert len(db.session.scalars(select(Attendance)).all()) == 2


def test_the_event_log_is_in_words(client, organiser):
    event = f.event(_org(organiser), capacity=10, starts_at=utcnow() + timedelta(hours=2))
    booking = f.book(event, 2)
    db.session.commit()
    session = event.sessions[0]
    url = f"/organisers/events/{event.id}/attendance"
    _post(
        client, url, {"session": str(session.id), "present": [str(booking.participants[0].id)]}, url
    )
    _post(
        client,
        f"/organisers/bookings/{booking.id}/move",
        {"target": "waitlist", "confirmed": "yes"},
        f"/organisers/bookings/{booking.id}",
    )
    log = client.get(f"/organisers/events/{event.id}/log", headers=EN).text
    assert "session: " not in log and "present: " not in log
    assert "1 present, 1 absent" in log
    assert "Session " in log and session.starts_at.astimezone().strftime("%Y") in log
    swedish = client.get(f"/organisers/events/{event.id}/log").text
    assert "1 närvarande, 1 frånvarande" in swedish


def test_event_date_fields_are_iso_text_inputs_parsed_on_the_server(client, organiser):
    page = client.get("/organisers/events/new", headers=EN).text
    assert 'type="date"' not in page
    assert 'name="sessions-0-start_date"' in page and 'inputmode="numeric"' in page
    assert "Date (YYYY-MM-DD)" in page
    assert "Datum (ÅÅÅÅ-MM-DD)" in client.get("/organisers/events/new").text


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [("2027-03-14", "2027-03-14"), ("20270314", "2027-03-14"), (" 2027-03-14 ", "2027-03-14")],
)
def test_iso_date_field_accepts_iso_and_compact(app, typed, parsed):
    from werkzeug.datastructures import MultiDict

    from webapp.events.forms import SessionForm

    form = SessionForm(MultiDict({"start_date": typed, "start_time": "09:00", "end_time": "10:00"}))
    form.validate()
    assert "start_date" not in form.errors
    assert form.start_date.data.isoformat() == parsed


@pytest.mark.parametrize("typed", ["14/3/2027", "03/14/2027", "2027-02-30", "2027-3-14x"])
def test_iso_date_field_refuses_other_formats_with_a_message(app, typed):
    from werkzeug.datastructures import MultiDict

    from webapp.events.forms import SessionForm

    with app.test_request_context(headers=EN):
        data = MultiDict({"start_date": typed, "start_time": "09:00", "end_time": "10:00"})
        form = SessionForm(data)
        form.validate()
        assert "Enter a date as YYYY-MM-DD." in form.errors["start_date"]
