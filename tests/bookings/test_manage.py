"""The manage-my-booking page: confirming before cancelling, editing details, join link,
waiting-list position and the add-to-calendar links (client tests, CSRF on)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.conftest import csrf_from
from webapp.bookings.models import Booking, BookingStatus
from webapp.bookings.services import manage_token
from webapp.db import db, utcnow
from webapp.events.models import Event, EventKind
from webapp.notifications.models import MessageStatus, OutboxMessage

EN = {"Accept-Language": "en"}


def _url(booking: Booking) -> str:
    return f"/bookings/{manage_token(booking)}"


def test_cancelling_asks_first_and_says_the_waiting_list_moves(client, app):
    event = f.event(capacity=2)
    booking = f.book(event, 2)
    waiting = f.book(event, 2)
    db.session.commit()
    page = client.get(_url(booking), headers=EN)
    asked = client.post(
        f"{_url(booking)}/cancel", data={"csrf_token": csrf_from(page.text)}, headers=EN
    )
    assert asked.status_code == 200
    assert "2 seats are given back." in asked.text
    assert "The waiting list moves up" in asked.text
    assert "No, go back" in asked.text and f'href="{_url(booking)}"' in asked.text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    done = client.post(
        f"{_url(booking)}/cancel",
        data={"csrf_token": csrf_from(asked.text), "confirmed": "yes"},
        headers=EN,
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    assert db.session.get(Booking, waiting.id).status == BookingStatus.CONFIRMED


def test_cancelling_a_waiting_booking_names_its_place(client, app):
    event = f.event(capacity=1)
    f.book(event, 1)
    f.book(event, 1)
    waiting = f.book(event, 1)
    db.session.commit()
    page = client.get(_url(waiting), headers=EN)
    assert "number 2 on the waiting list" in page.text
    asked = client.post(
        f"{_url(waiting)}/cancel", data={"csrf_token": csrf_from(page.text)}, headers=EN
    )
    assert "leaves the waiting list, where it is number 2" in asked.text


def test_removing_a_participant_asks_first_in_swedish_too(client, app):
    event = f.event(capacity=5)
    booking = f.book(event, 2)
    db.session.commit()
    person = booking.active_participants[1]
    page = client.get(_url(booking))
    asked = client.post(
        f"{_url(booking)}/participants/{person.id}/remove",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert asked.status_code == 200
    assert f"Ta bort {person.name}?" in asked.text
    assert "1 plats lämnas tillbaka." in asked.text
    assert len(db.session.get(Booking, booking.id).active_participants) == 2
    # Without a valid CSRF token the confirmed POST does nothing.
    bad = client.post(f"{_url(booking)}/participants/{person.id}/remove", data={"confirmed": "yes"})
    assert bad.status_code == 400
    db.session.expire_all()
    assert len(db.session.get(Booking, booking.id).active_participants) == 2


def test_a_participant_of_another_booking_cannot_be_removed_or_edited(client, app):
    event = f.event()
    mine, theirs = f.book(event, 2), f.book(event, 2)
    db.session.commit()
    other = theirs.active_participants[0]
    page = client.get(_url(mine))
    data = {"csrf_token": csrf_from(page.text), "confirmed": "yes"}
    assert client.post(f"{_url(mine)}/participants/{other.id}/remove", data=data).status_code == 404
    assert client.get(f"{_url(mine)}/participants/{other.id}/edit").status_code == 404
    db.session.expire_all()
    assert len(db.session.get(Booking, theirs.id).active_participants) == 2


def test_editing_a_participant_keeps_the_seat(client, app):
    event = f.event(capacity=3)
    booking = f.book(event, 2)
    db.session.commit()
    person = booking.active_participants[0]
    url = f"{_url(booking)}/participants/{person.id}/edit"
    form = client.get(url, headers=EN)
    assert form.status_code == 200 and f'value="{person.email}"' in form.text
    data = {
        "csrf_token": csrf_from(form.text),
        "participant-name": "Rättad Person",
        "participant-email": "rattad@example.se",
        "participant-dietary_needs": "Glutenfritt",
    }
    assert client.post(url, data=data).status_code == 303
    db.session.expire_all()
    again = db.session.get(Booking, booking.id)
    assert [p.id for p in again.active_participants] == [p.id for p in booking.participants]
    edited = again.active_participants[0]
    assert (edited.name, edited.email, edited.dietary_needs) == (
        "Rättad Person",
        "rattad@example.se",
        "Glutenfritt",
    )
    assert db.session.get(Event, event.id).seats_taken == 2
    # A clash with the other participant's address is a message on the field.
    data["participant-email"] = again.active_participants[1].email
    clash = client.post(url, data=data, headers=EN)
    assert clash.status_code == 422
    assert "Each participant needs their own email address." in clash.text


def test_changing_the_contact_person_redirects_pending_mail(client, app):
    booking = f.book(f.event(), 1)
    db.session.commit()
    url = f"{_url(booking)}/contact"
    form = client.get(url, headers=EN)
    assert 'value="Kontakt Person"' in form.text
    bad = client.post(
        url,
        data={"csrf_token": csrf_from(form.text), "contact_name": "Ny", "contact_email": "nope"},
        headers=EN,
    )
    assert bad.status_code == 422 and "Enter a valid email address." in bad.text
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(form.text),
            "contact_name": "Ny Kontakt",
            "contact_email": "ny.kontakt@example.se",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).contact_email == "ny.kontakt@example.se"
    pending = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.booking_id == booking.id,
            OutboxMessage.participant_id.is_(None),
            OutboxMessage.status == MessageStatus.PENDING,
        )
    ).all()
    assert pending and {m.recipient_email for m in pending} == {"ny.kontakt@example.se"}


def test_after_the_start_the_page_offers_no_changes(client, app):
    event = f.event(starts_at=utcnow() + timedelta(hours=1))
    booking = f.book(event, 2)
    db.session.commit()
    event.sessions[0].starts_at = event.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = client.get(_url(booking), headers=EN)
    assert "/edit" not in page.text and "/contact" not in page.text and "/cancel" not in page.text
    assert client.get(f"{_url(booking)}/contact").status_code == 303


@pytest.fixture
def webinar(app):
    event = f.event(
        kind=EventKind.WEBINAR, capacity=1, online_url="https://meet.example.se/room?id=7&pw=x"
    )
    db.session.commit()
    return event


def test_a_confirmed_webinar_booking_shows_the_join_link_and_when_it_opens(client, webinar):
    confirmed = f.book(webinar, 1)
    waiting = f.book(webinar, 1)
    db.session.commit()
    page = client.get(_url(confirmed), headers=EN)
    assert "https://meet.example.se/room?id=7&amp;pw=x" in page.text
    opens = (webinar.starts_at - timedelta(minutes=15)).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Stockholm")
    )
    assert "The room opens 15 minutes before the start" in page.text
    assert opens.strftime("%H:%M") in page.text
    confirmation = client.get(f"{_url(confirmed)}/confirmation", headers=EN)
    assert "meet.example.se/room" in confirmation.text
    for url in (_url(waiting), f"/events/{webinar.id}", "/"):
        assert "meet.example.se/room" not in client.get(url).text


def test_event_and_confirmation_pages_add_this_event_not_a_feed(client, app):
    event = f.event(title="Träff & fika #2", venue="Storgatan 1", city="Umeå", sessions=2)
    booking = f.book(event, 1)
    db.session.commit()
    for url in (f"/events/{event.id}", f"{_url(booking)}/confirmation"):
        page = client.get(url, headers=EN).text
        assert f"/events/{event.id}.ics" in page
        google = [
            link.replace("&amp;", "&")
            for link in __import__("re").findall(
                r'href="(https://calendar\.google\.com/calendar/render\?[^"]+)"', page
            )
        ]
        outlook = [
            link.replace("&amp;", "&")
            for link in __import__("re").findall(r'href="(https://outlook\.live\.com/[^"]+)"', page)
        ]
        assert len(google) == len(outlook) == 2  # one per session
        first = event.sessions[0]
        query = parse_qs(urlsplit(google[0]).query)
        assert query["text"] == ["Träff & fika #2"]
        assert query["dates"] == [
            first.starts_at.strftime("%Y%m%dT%H%M%SZ")
            + "/"
            + first.ends_at.strftime("%Y%m%dT%H%M%SZ")
        ]
        assert query["location"] == ["Storgatan 1, Umeå"]
        query = parse_qs(urlsplit(outlook[0]).query)
        assert query["subject"] == ["Träff & fika #2"]
        assert query["startdt"] == [first.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")]
        assert "+" not in outlook[0]  # spaces are %20: Outlook.com shows a + literally
    page = client.get(f"/events/{event.id}", headers=EN).text
    assert "webcal://" in page  # subscribing is offered separately
