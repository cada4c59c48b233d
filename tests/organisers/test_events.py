"""Creating and editing events through the organiser forms, and the status actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.test_views import caught
from webapp import signals
from webapp.accounts.models import Role
from webapp.bookings.models import Booking, BookingStatus
from webapp.db import db
from webapp.events.models import Event, EventKind, EventStatus
from webapp.i18n import STOCKHOLM
from webapp.organisations.audit import AuditEntry


@pytest.fixture
def organiser(app, client):
    org = f.organisation("Teknikparken")
    person = h.user(org, Role.ORGANISER)
    db.session.commit()
    h.login_session(client, person)
    return person


def _form(**overrides: object) -> dict[str, object]:
    data = {
        "organisation": "",
        "kind": "workshop_series",
        "title": "Verkstad: cirkulär ekonomi",
        "summary": "Fyra eftermiddagar.",
        "description": "Första stycket.\n\nAndra stycket.",
        "project": "",
        "venue": "Lindholmspiren 5",
        "city": "Göteborg",
        "county": "14",
        "country": "SE",
        "online_url": "",
        "capacity": "20",
        "max_per_company": "3",
        "registration_opens_date": "",
        "registration_opens_time": "",
        "registration_closes_date": "2027-03-01",
        "registration_closes_time": "23:59",
        # Reminders: 7 days before the first session, 1 day and 2 hours before each.
        "reminders-0-days": "7",
        "reminders-0-hours": "",
        "reminders-0-scope": "first",
        "reminders-1-days": "1",
        "reminders-1-hours": "2",
        "reminders-1-scope": "each",
        "reminders-2-days": "",
        "reminders-2-hours": "",
        "reminders-2-scope": "each",
        "practical_info": "Ta med laptop.\n\nParkering finns.",
        "practical_info_en": "",
        "sessions-0-id": "",
        "sessions-0-start_date": "2027-03-14",
        "sessions-0-start_time": "13:00",
        "sessions-0-end_time": "16:30",
        "sessions-0-end_date": "",
        "sessions-0-title": "Nuläge",
        "sessions-0-venue": "",
        "sessions-1-id": "",
        "sessions-1-start_date": "2027-06-20",
        "sessions-1-start_time": "9.00",
        "sessions-1-end_time": "12:00",
        "sessions-1-end_date": "",
        "sessions-1-title": "",
        "sessions-1-venue": "",
    }
    data.update(overrides)
    return data


def _create(client, organiser, **overrides):
    data = _form(organisation=str(organiser.memberships[0].organisation_id), **overrides)
    return h.post_form(client, "/organisers/events/new", data)


def test_create_event_with_sessions_in_stockholm_time(client, organiser):
    response = _create(client, organiser, requires_approval="y")
    assert response.status_code == 303, response.text
    event = db.session.scalars(select(Event)).one()
    assert event.status == EventStatus.DRAFT
    assert event.kind == EventKind.WORKSHOP_SERIES
    assert event.capacity == 20 and event.max_per_company == 3
    assert event.requires_approval
    assert event.reminder_offsets == [26 * 60]
    assert event.first_reminder_offsets == [7 * 24 * 60]
    assert event.practical_info == "Ta med laptop.\n\nParkering finns."
    first, second = event.sessions
    # 13:00 in March is winter time (UTC+1); 09:00 in June is summer time (UTC+2).
    assert first.starts_at == datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    assert first.ends_at == datetime(2027, 3, 14, 15, 30, tzinfo=UTC)
    assert first.title == "Nuläge"
    assert second.starts_at == datetime(2027, 6, 20, 7, 0, tzinfo=UTC)
    assert event.registration_closes_at == datetime(2027, 3, 1, 22, 59, tzinfo=UTC)
    assert event.starts_at == first.starts_at and event.ends_at == second.ends_at
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1
    page = client.get(f"/organisers/events/{event.id}/edit")
    assert 'value="13:00"' in page.text and 'value="2027-03-14"' in page.text


BAD_INPUT = [
    ({"title": ""}, "title"),
    ({"sessions-0-start_time": "25:00"}, "sessions-0-start_time"),
    ({"sessions-0-start_time": "1 pm"}, "sessions-0-start_time"),
    ({"sessions-0-end_time": "12:00"}, "sessions-0-end_time"),
    ({"sessions-0-start_date": "14/3/2027"}, "sessions-0-start_date"),
    ({"sessions-0-start_date": "0001-01-01"}, "sessions-0-start_date"),
    ({"sessions-1-end_date": "2027-06-31"}, "sessions-1-end_date"),
    ({"capacity": "-1"}, "capacity"),
    ({"capacity": "many"}, "capacity"),
    ({"max_per_company": "0"}, "max_per_company"),
    ({"online_url": "not a link"}, "online_url"),
    ({"kind": "webinar", "venue": "", "online_url": ""}, "online_url"),
    ({"venue": ""}, "venue"),
    ({"reminders-0-days": "a week"}, "reminders-0-days"),
    ({"reminders-0-days": "0", "reminders-0-hours": "0"}, "reminders-0-hours"),
    ({"reminders-0-days": "0"}, "reminders-0-hours"),
    ({"reminders-1-days": "365", "reminders-1-hours": ""}, "reminders-1-days"),
    ({"reminders-1-days": "-1"}, "reminders-1-days"),
    ({"reminders-1-hours": "24"}, "reminders-1-hours"),
    ({"practical_info": "x" * 5001}, "practical_info"),
    ({"registration_closes_time": ""}, "registration_closes_time"),
    (
        {"registration_opens_date": "2027-03-02", "registration_opens_time": "10:00"},
        "registration_closes_time",
    ),
    ({"county": "99"}, "county"),
    ({"kind": "party"}, "kind"),
    # 02:30 does not exist in Stockholm on the night summer time starts.
    (
        {"sessions-0-start_date": "2027-03-28", "sessions-0-start_time": "02:30"},
        "sessions-0-start_time",
    ),
    (
        {
            "sessions-0-start_date": "2027-03-28",
            "sessions-0-start_time": "01:00",
            "sessions-0-end_time": "02:15",
        },
        "sessions-0-end_time",
    ),
]


def test_bad_input_is_refused_with_an_error_on_its_field_and_nothing_stored(client, organiser):
    # One app for every case: the cases are many and each only renders a form.
    wrong = []
    for overrides, field_id in BAD_INPUT:
        response = _create(client, organiser, **overrides)
        tag = re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"[^>]*>', response.text)
        if (
            response.status_code != 422
            or f'id="{field_id}-error"' not in response.text
            or not tag
            or f"{field_id}-error" not in tag.group(0)
        ):
            wrong.append((overrides, response.status_code))
    assert not wrong
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_project_of_another_organisation_is_refused(client, organiser):
    foreign = f.project(f.organisation())
    db.session.commit()
    response = _create(client, organiser, project=str(foreign.id))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_sessions_are_added_and_removed_without_javascript(client, organiser):
    data = _form(organisation=str(organiser.memberships[0].organisation_id), add_session="x")
    page = h.post_form(client, "/organisers/events/new", data)
    assert page.status_code == 200
    assert 'name="sessions-2-start_date"' in page.text
    data = _form(organisation=str(organiser.memberships[0].organisation_id), remove_session="0")
    page = h.post_form(client, "/organisers/events/new", data)
    assert page.text.count('class="session"') == 1
    assert 'value="2027-06-20"' in page.text and 'value="2027-03-14"' not in page.text
    assert db.session.scalar(select(func.count(Event.id))) == 0


def _edit_form(event: Event, **overrides: object) -> dict[str, object]:
    data = _form(
        organisation=str(event.organisation_id),
        kind=event.kind.value,
        title=event.title,
        capacity=str(event.capacity or ""),
        max_per_company="",
    )
    for key in [k for k in data if k.startswith("sessions-")]:
        del data[key]
    for i, s in enumerate(event.sessions):
        start, end = s.starts_at.astimezone(STOCKHOLM), s.ends_at.astimezone(STOCKHOLM)
        data.update(
            {
                f"sessions-{i}-id": str(s.id),
                f"sessions-{i}-start_date": start.date().isoformat(),
                f"sessions-{i}-start_time": start.strftime("%H:%M"),
                f"sessions-{i}-end_time": end.strftime("%H:%M"),
                f"sessions-{i}-end_date": ""
                if end.date() == start.date()
                else end.date().isoformat(),
                f"sessions-{i}-title": "",
                f"sessions-{i}-venue": "",
            }
        )
    data.update(
        {
            "venue": event.venue or "Lindholmspiren 5",
            "city": event.city or "",
            "registration_closes_date": "",
            "registration_closes_time": "",
        }
    )
    data.update(overrides)
    return data


@pytest.fixture
def booked(organiser):
    org = organiser.memberships[0].organisation
    event = f.event(org, capacity=5, sessions=2, venue="Lindholmspiren 5")
    f.book(event, 3, company=1)
    f.book(event, 3, company=2)  # does not fit: waits
    db.session.commit()
    return event


def test_moving_a_session_bumps_sequence_and_tells_listeners(client, booked):
    event = booked
    session_id = event.sessions[0].id
    sequence = event.sequence
    data = _edit_form(event, **{"sessions-0-start_time": "08:00"})
    with caught(signals.event_changed) as changed:
        response = h.post_form(client, f"/organisers/events/{event.id}/edit", data)
    assert response.status_code == 303, response.text
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.sequence == sequence + 1
    assert event.sessions[0].id == session_id  # moved, not replaced: the iCal UID stays
    assert changed[0][1] == {"times_changed": True, "place_changed": False}


def test_changing_the_place_bumps_sequence(client, booked):
    data = _edit_form(booked, venue="Nya adressen 1")
    with caught(signals.event_changed) as changed:
        h.post_form(client, f"/organisers/events/{booked.id}/edit", data)
    assert changed[0][1] == {"times_changed": False, "place_changed": True}


def test_a_text_edit_is_not_news(client, booked):
    sequence = booked.sequence
    data = _edit_form(booked, description="Rättat stavfel.")
    with caught(signals.event_changed) as changed:
        assert h.post_form(client, f"/organisers/events/{booked.id}/edit", data).status_code == 303
    assert changed == []
    db.session.expire_all()
    assert db.session.get(Event, booked.id).sequence == sequence


def test_removing_a_session_of_a_published_event_keeps_it_cancelled(client, booked):
    data = _edit_form(booked)
    for key in [k for k in data if k.startswith("sessions-1-")]:
        del data[key]
    assert h.post_form(client, f"/organisers/events/{booked.id}/edit", data).status_code == 303
    db.session.expire_all()
    sessions = db.session.get(Event, booked.id).sessions
    assert len(sessions) == 2
    assert sessions[1].cancelled_at is not None and sessions[0].cancelled_at is None


def test_capacity_below_seats_taken_is_refused_clearly(client, booked):
    response = h.post_form(
        client,
        f"/organisers/events/{booked.id}/edit",
        _edit_form(booked, capacity="2", title="Ändrad titel"),
    )
    assert response.status_code == 422
    assert 'id="capacity-error"' in response.text
    assert "3" in response.text
    db.session.expire_all()
    event = db.session.get(Event, booked.id)
    assert event.capacity == 5 and event.title != "Ändrad titel"


def test_raising_capacity_promotes_the_waiting_list(client, booked):
    response = h.post_form(
        client, f"/organisers/events/{booked.id}/edit", _edit_form(booked, capacity="6")
    )
    assert response.status_code == 303
    statuses = db.session.scalars(select(Booking.status).where(Booking.event_id == booked.id))
    assert set(statuses) == {BookingStatus.CONFIRMED}
    assert db.session.get(Event, booked.id).seats_taken == 6


def test_changing_reminder_offsets_is_announced(client, booked):
    with caught(signals.reminder_offsets_changed) as changed:
        h.post_form(
            client,
            f"/organisers/events/{booked.id}/edit",
            _edit_form(
                booked,
                **{"reminders-0-days": "", "reminders-1-days": "0", "reminders-1-hours": "1"},
            ),
        )
    assert changed[0][1]["new"] == [60]


def test_publish_unpublish_duplicate_and_cancel(client, organiser):
    org = organiser.memberships[0].organisation
    draft = f.event(org, status=EventStatus.DRAFT)
    db.session.commit()
    edit_page = f"/organisers/events/{draft.id}/edit"

    assert (
        h.post_form(
            client, f"/organisers/events/{draft.id}/publish", {}, form_page=edit_page
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Event, draft.id).status == EventStatus.PUBLISHED
    assert db.session.get(Event, draft.id).sequence == 1

    h.post_form(client, f"/organisers/events/{draft.id}/unpublish", {}, form_page=edit_page)
    db.session.expire_all()
    assert db.session.get(Event, draft.id).status == EventStatus.DRAFT

    response = h.post_form(
        client, f"/organisers/events/{draft.id}/duplicate", {}, form_page=edit_page
    )
    copy_id = int(response.headers["Location"].split("/")[-2])
    copy = db.session.get(Event, copy_id)
    assert copy.status == EventStatus.DRAFT and copy.id != draft.id
    assert [s.starts_at for s in copy.sessions] == [s.starts_at for s in draft.sessions]

    log = client.get(f"/organisers/events/{draft.id}/log")
    assert log.status_code == 200
    assert organiser.name in log.text


def test_an_event_with_bookings_cannot_be_unpublished(client, booked):
    edit_page = f"/organisers/events/{booked.id}/edit"
    h.post_form(client, f"/organisers/events/{booked.id}/unpublish", {}, form_page=edit_page)
    db.session.expire_all()
    assert db.session.get(Event, booked.id).status == EventStatus.PUBLISHED


def test_cancel_keeps_bookings_and_tells_listeners(client, booked):
    edit_page = f"/organisers/events/{booked.id}/edit"
    with caught(signals.event_cancelled) as cancelled:
        response = h.post_form(
            client,
            f"/organisers/events/{booked.id}/cancel",
            {"confirmed": "yes"},
            form_page=edit_page,
        )
    assert response.status_code == 303
    assert len(cancelled) == 1
    db.session.expire_all()
    event = db.session.get(Event, booked.id)
    assert event.status == EventStatus.CANCELLED
    statuses = set(db.session.scalars(select(Booking.status).where(Booking.event_id == event.id)))
    assert statuses == {BookingStatus.CONFIRMED, BookingStatus.WAITLISTED}
    # Cancelled events are read-only.
    assert client.get(edit_page).status_code == 200
    again = h.post_form(
        client, f"/organisers/events/{booked.id}/edit", _edit_form(event), form_page=edit_page
    )
    assert again.status_code == 409


def test_viewer_sees_no_edit_form(app, client):
    org = f.organisation()
    event = f.event(org)
    viewer = h.user(org, Role.VIEWER)
    db.session.commit()
    h.login_session(client, viewer)
    assert client.get(f"/organisers/events/{event.id}/edit").status_code == 403
    assert client.get("/organisers/events/new").status_code == 403
    assert event.title in client.get("/organisers/").text


def test_dashboard_lists_partner_events(app, client):
    lead, partner = f.organisation(), f.organisation()
    event = f.event(lead, project=f.project(lead, partners=[partner]), title="Samarrangerat")
    f.event(lead, title="Bara vårt", starts_at=f.now() + timedelta(days=3))
    person = h.user(partner, Role.VIEWER)
    db.session.commit()
    h.login_session(client, person)
    text = client.get("/organisers/").text
    assert event.title in text and "Bara vårt" not in text


def test_a_published_event_moved_by_its_organiser_remembers_its_old_start(client, booked):
    """The page then tells search engines it was rescheduled (schema.org previousStartDate)."""
    before = booked.starts_at
    new_time = "09:00" if before.astimezone(STOCKHOLM).hour == 8 else "08:00"
    data = _edit_form(booked, **{"sessions-0-start_time": new_time})
    response = h.post_form(client, f"/organisers/events/{booked.id}/edit", data)
    assert response.status_code == 303, response.text
    db.session.expire_all()
    event = db.session.get(Event, booked.id)
    assert event.starts_at != before
    assert event.previous_starts_at == before
