"""Selection, booking moves, bookings on a company's behalf, participants, attendance."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.test_views import caught
from webapp import signals
from webapp.accounts.models import Role
from webapp.bookings import attendance
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.db import db
from webapp.events.models import Event
from webapp.organisations.audit import AuditEntry


@pytest.fixture
def organiser(app, client):
    org = f.organisation()
    person = h.user(org, Role.ORGANISER)
    db.session.commit()
    h.login_session(client, person)
    return person


@pytest.fixture
def trip(organiser):
    """A study trip with 5 seats where organisers select: three pending bookings (2, 2, 3)."""
    event = f.event(organiser.memberships[0].organisation, capacity=5, requires_approval=True)
    bookings = [f.book(event, n, company=i) for i, n in enumerate((2, 2, 3), start=1)]
    db.session.commit()
    return event, bookings


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def test_approve_several_at_once_and_the_companies_are_told(client, trip):
    event, (a, b, _c) = trip
    with caught(signals.booking_decided) as decided:
        response = h.post_form(
            client,
            f"/organisers/events/{event.id}/selection",
            {"decision": "approve", "booking": [str(a.id), str(b.id)]},
            form_page=f"/organisers/events/{event.id}/attendees",
        )
    assert response.status_code == 303
    assert _status(a.id) == _status(b.id) == BookingStatus.CONFIRMED
    assert db.session.get(Event, event.id).seats_taken == 4
    assert [kwargs["approved"] for _sender, kwargs in decided] == [True, True]
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "booking.approved")
        )
        == 2
    )


def test_a_selection_that_does_not_fit_changes_nothing(client, trip):
    event, (a, b, c) = trip
    response = h.post_form(
        client,
        f"/organisers/events/{event.id}/selection",
        {"decision": "approve", "booking": [str(a.id), str(b.id), str(c.id)]},
        form_page=f"/organisers/events/{event.id}/attendees",
    )
    assert response.status_code == 303
    assert {_status(x.id) for x in (a, b, c)} == {BookingStatus.PENDING}
    assert db.session.get(Event, event.id).seats_taken == 0
    page = client.get(response.headers["Location"])
    assert c.company.name in page.text  # the message names the company that did not fit


def test_decline_several(client, trip):
    event, (a, _b, c) = trip
    h.post_form(
        client,
        f"/organisers/events/{event.id}/selection",
        {"decision": "decline", "booking": [str(a.id), str(c.id)], "confirmed": "yes"},
        form_page=f"/organisers/events/{event.id}/attendees",
    )
    assert _status(a.id) == _status(c.id) == BookingStatus.DECLINED


def test_selection_ignores_bookings_of_other_events(client, trip, organiser):
    event, _bookings = trip
    other = f.event(organiser.memberships[0].organisation, requires_approval=True)
    stranger = f.book(other, 1, company=9)
    db.session.commit()
    h.post_form(
        client,
        f"/organisers/events/{event.id}/selection",
        {"decision": "approve", "booking": [str(stranger.id)]},
        form_page=f"/organisers/events/{event.id}/attendees",
    )
    assert _status(stranger.id) == BookingStatus.PENDING


def test_move_a_booking_between_confirmed_waitlisted_and_cancelled(client, organiser):
    event = f.event(organiser.memberships[0].organisation, capacity=3)
    first = f.book(event, 2, company=1)
    second = f.book(event, 2, company=2)  # waits
    db.session.commit()
    page = f"/organisers/bookings/{first.id}"

    def move(booking, target):
        return h.post_form(
            client,
            f"/organisers/bookings/{booking.id}/move",
            {"target": target, "confirmed": "yes"},
            form_page=page,
        )

    assert move(second, "confirm").status_code == 303
    assert _status(second.id) == BookingStatus.WAITLISTED  # 2 seats needed, 1 left
    move(first, "waitlist")
    assert _status(first.id) == BookingStatus.WAITLISTED
    assert _status(second.id) == BookingStatus.CONFIRMED  # promoted into the freed seats
    move(second, "cancel")
    assert _status(second.id) == BookingStatus.CANCELLED
    assert _status(first.id) == BookingStatus.CONFIRMED
    event = db.session.get(Event, event.id)
    assert event.seats_taken == 2
    assert move(first, "nonsense").status_code == 400


def test_add_a_booking_on_a_companys_behalf(client, organiser):
    event = f.event(organiser.memberships[0].organisation, capacity=2, requires_approval=True)
    db.session.commit()
    url = f"/organisers/events/{event.id}/bookings/new"
    data = {
        "country": "SE",
        "org_number": f.swedish_orgnr(77),
        "company_name": "Ringde AB",
        "county": "14",
        "staff_band": "under_10",
        "turnover_band": "up_to_2m",
        "industry_code": "",
        "contact_name": "Kim Kontakt",
        "contact_email": "kim@ringde.example.se",
        "contact_phone": "",
        "participants-0-name": "Kim Kontakt",
        "participants-0-email": "kim@ringde.example.se",
        "participants-0-role": "",
        "participants-0-gender": "",
        "participants-0-dietary_needs": "",
        "participants-0-accessibility_needs": "",
        "message": "",
        "language": "en",
    }
    bad = h.post_form(client, url, {**data, "org_number": "123"})
    assert bad.status_code == 422
    assert 'id="org_number-error"' in bad.text
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    response = h.post_form(client, url, data)
    assert response.status_code == 303, response.text
    booking = db.session.scalars(select(Booking)).one()
    # Chosen by the organiser: no approval to wait for, seats taken at once.
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.consent_version.endswith("/organiser")
    assert booking.language == "en"  # the company's language, not the organiser's
    assert client.get(response.headers["Location"]).status_code == 200


def test_edit_add_and_remove_participants(client, organiser):
    event = f.event(organiser.memberships[0].organisation, capacity=3)
    booking = f.book(event, 2, company=1)
    db.session.commit()
    anna, other = booking.participants
    url = f"/organisers/participants/{anna.id}/edit"
    fields = {
        "participant-name": "Anna Ny",
        "participant-email": "anna.ny@example.se",
        "participant-role": "VD",
        "participant-gender": "",
        "participant-dietary_needs": "Vegan",
        "participant-accessibility_needs": "",
    }
    bad = h.post_form(client, url, {**fields, "participant-email": "nope"})
    assert bad.status_code == 422
    duplicate = h.post_form(client, url, {**fields, "participant-email": other.email})
    assert duplicate.status_code == 422
    assert h.post_form(client, url, fields).status_code == 303
    db.session.expire_all()
    anna = db.session.get(Participant, anna.id)
    assert (anna.name, anna.email, anna.dietary_needs) == ("Anna Ny", "anna.ny@example.se", "Vegan")

    page = f"/organisers/bookings/{booking.id}"
    add = {k: v for k, v in fields.items()}
    add.update({"participant-name": "Tredje", "participant-email": "tredje@example.se"})
    assert (
        h.post_form(
            client, f"/organisers/bookings/{booking.id}/participants", add, form_page=page
        ).status_code
        == 303
    )
    add.update({"participant-name": "Fjärde", "participant-email": "fjarde@example.se"})
    full = h.post_form(
        client, f"/organisers/bookings/{booking.id}/participants", add, form_page=page
    )
    assert full.status_code == 409  # capacity 3 holds: the fourth does not fit
    assert (
        h.post_form(
            client,
            f"/organisers/participants/{other.id}/remove",
            {"confirmed": "yes"},
            form_page=page,
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Event, event.id).seats_taken == 2
    assert {e.action for e in db.session.scalars(select(AuditEntry))} >= {
        "participant.edited",
        "participant.added",
        "participant.removed",
    }


def test_attendance_per_session_with_rates(client, organiser):
    event = f.event(organiser.memberships[0].organisation, capacity=10, sessions=2)
    confirmed = f.book(event, 3, company=1)
    f.book(event, 1, company=2)
    pending_event_booking = f.book(event, 2, company=3)
    from webapp.bookings import services

    services.cancel(pending_event_booking.id)
    db.session.commit()
    first, second = event.sessions
    url = f"/organisers/events/{event.id}/attendance"
    page = client.get(f"{url}?session={first.id}")
    assert page.status_code == 200
    assert page.text.count('type="checkbox" name="present"') == 4  # cancelled ones left out
    present = [str(p.id) for p in confirmed.participants[:2]]
    response = h.post_form(
        client,
        url,
        {"session": str(first.id), "present": present, "confirmed": "yes"},
        form_page=f"{url}?session={first.id}",
    )
    assert response.status_code == 303
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == first.id)).all()
    assert len(rows) == 4 and sum(r.present for r in rows) == 2

    # Marking again updates the same rows.
    h.post_form(
        client,
        url,
        {"session": str(first.id), "present": present[:1], "confirmed": "yes"},
        form_page=f"{url}?session={first.id}",
    )
    db.session.expire_all()
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == first.id)).all()
    assert len(rows) == 4 and sum(r.present for r in rows) == 1

    per_session, overall = attendance.rates(db.session.get(Event, event.id))
    assert [r.rate for r in per_session] == [0.25, None]
    assert overall == 0.25
    h.post_form(
        client,
        url,
        {
            "session": str(second.id),
            "present": present + [str(confirmed.participants[2].id)],
            "confirmed": "yes",
        },
        form_page=f"{url}?session={second.id}",
    )
    per_session, overall = attendance.rates(db.session.get(Event, event.id))
    assert [r.rate for r in per_session] == [0.25, 0.75]
    assert overall == 0.5
    assert "50 %" in client.get(url).text


def test_attendance_ignores_people_who_are_not_expected(client, organiser):
    event = f.event(organiser.memberships[0].organisation, capacity=10)
    f.book(event, 1, company=1)
    other_event = f.event(organiser.memberships[0].organisation)
    outsider = f.book(other_event, 1, company=2).participants[0]
    db.session.commit()
    session_id = event.sessions[0].id
    url = f"/organisers/events/{event.id}/attendance"
    h.post_form(
        client,
        url,
        {"session": str(session_id), "present": [str(outsider.id), "x"], "confirmed": "yes"},
    )
    assert (
        db.session.scalar(
            select(func.count(Attendance.id)).where(Attendance.participant_id == outsider.id)
        )
        == 0
    )


def test_viewers_read_attendance_but_cannot_mark(app, client):
    org = f.organisation()
    event = f.event(org)
    f.book(event, 1)
    viewer = h.user(org, Role.VIEWER)
    db.session.commit()
    h.login_session(client, viewer)
    url = f"/organisers/events/{event.id}/attendance"
    page = client.get(url)
    assert page.status_code == 200 and "disabled" in page.text
    response = h.post_form(client, url, {"session": str(event.sessions[0].id)})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_selection_without_ticked_bookings_says_so(client, trip):
    event, bookings = trip
    response = h.post_form(
        client,
        f"/organisers/events/{event.id}/selection",
        {"decision": "approve"},
        form_page=f"/organisers/events/{event.id}/attendees",
    )
    assert response.status_code == 303
    assert {_status(b.id) for b in bookings} == {BookingStatus.PENDING}
    bogus = h.post_form(
        client,
        f"/organisers/events/{event.id}/selection",
        {"decision": "everything", "booking": ["x"]},
        form_page=f"/organisers/events/{event.id}/attendees",
    )
    assert bogus.status_code == 400
