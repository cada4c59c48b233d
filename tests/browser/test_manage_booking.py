"""Issue 14's company-side fixes in Chromium at 375 px: every page axe-clean and without
sideways scrolling; the destructive steps with JavaScript off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories as f
from tests.browser.test_registration_flow import assert_accessible, fill_company, fill_participant
from webapp.bookings.models import Booking, BookingStatus
from webapp.bookings.services import manage_token
from webapp.db import db, utcnow
from webapp.events.models import EventKind

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 375, "height": 800}


def _check(page: Page, what: str) -> None:
    """axe-clean, and nothing wider than the phone's screen."""
    assert_accessible(page, what)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what}: {overflow}px of sideways scrolling at 375 px"


check = _check


def _booking(booking_id: int) -> tuple[BookingStatus, list[tuple[int, str]]]:
    """(status, [(participant id, email)]) as the database has it now.

    The test's session is closed again at once: the live server needs the database.
    """
    db.session.remove()
    booking = db.session.get(Booking, booking_id)
    state = booking.status, [(p.id, p.email) for p in booking.active_participants]
    db.session.remove()
    return state


@pytest.fixture
def phone(new_context: Any) -> Page:
    """A 375 px page; JavaScript on, since axe-core runs as a script in the page."""
    return new_context(viewport=PHONE).new_page()


@pytest.mark.parametrize("javascript", [True, False], ids=["checked", "no-javascript"])
def test_cancelling_and_removing_ask_first(app: Any, new_context: Any, javascript: bool) -> None:
    phone = new_context(java_script_enabled=javascript, viewport=PHONE).new_page()
    check = _check if javascript else lambda *_: None
    event = f.event(capacity=3, title="Produktionsdag i Örebro")
    booking = f.book(event, 3)
    f.book(event, 2)  # waits for seats
    db.session.commit()
    url = f"/bookings/{manage_token(booking)}"
    person = booking.active_participants[2].name
    booking_id = booking.id
    db.session.remove()  # the live server needs the database to itself

    phone.goto(url)
    check(phone, "manage page")
    phone.get_by_role("button", name=f"Remove {person}").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Remove {person}?")
    expect(phone.get_by_text("1 seat is given back.")).to_be_visible()
    check(phone, "remove confirmation")
    phone.get_by_role("link", name="No, go back").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your booking")
    assert len(_booking(booking_id)[1]) == 3

    phone.get_by_role("button", name="Cancel the whole booking").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Cancel the whole booking?")
    expect(phone.get_by_text("3 seats are given back.")).to_be_visible()
    expect(phone.get_by_text("The waiting list moves up", exact=False)).to_be_visible()
    check(phone, "cancel confirmation")
    assert _booking(booking_id)[0] == BookingStatus.CONFIRMED
    phone.get_by_role("button", name="Yes, cancel the booking").click()
    expect(phone.get_by_text("Your booking has been cancelled.")).to_be_visible()
    assert _booking(booking_id)[0] == BookingStatus.CANCELLED
    check(phone, "manage page after cancelling")


def test_editing_a_participant_and_the_contact_person(app: Any, phone: Page) -> None:
    event = f.event(capacity=5)
    booking = f.book(event, 2)
    db.session.commit()
    name, url, ids = (
        booking.active_participants[0].name,
        manage_token(booking),
        [p.id for p in booking.participants],
    )
    booking_id = booking.id
    db.session.remove()
    phone.goto(f"/bookings/{url}")
    phone.get_by_role("link", name=f"Edit {name}").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Edit participant")
    check(phone, "edit participant")
    phone.get_by_label("Email", exact=True).fill("not an address")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("region", name="There is a problem")).to_contain_text(
        "Enter a valid email address."
    )
    check(phone, "edit participant with an error")
    phone.get_by_label("Email", exact=True).fill("rattad@example.se")
    phone.get_by_label("Dietary needs (optional)").fill("Vegan")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text("The participant's details have been saved.")).to_be_visible()
    _status, people = _booking(booking_id)
    assert [pid for pid, _email in people] == ids
    assert people[0][1] == "rattad@example.se"

    phone.get_by_role("link", name="Change the contact person").click()
    check(phone, "change contact person")
    phone.get_by_label("Contact person").fill("Ny Kontakt")
    phone.get_by_label("Contact email").fill("ny.kontakt@example.se")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text("Ny Kontakt (ny.kontakt@example.se)")).to_be_visible()
    check(phone, "manage page after the changes")


def test_webinar_join_link_calendar_links_and_waiting_position(app: Any, new_context: Any) -> None:
    webinar = f.event(
        kind=EventKind.WEBINAR,
        capacity=1,
        title="Webbinarium om energi",
        online_url="https://meet.example.se/rum-42",
        starts_at=(utcnow() + timedelta(days=10)).replace(microsecond=0),
    )
    confirmed = f.book(webinar, 1)
    f.book(webinar, 1)
    waiting = f.book(webinar, 1)
    db.session.commit()
    event_id, confirmed_url, waiting_url = (
        webinar.id,
        manage_token(confirmed),
        manage_token(waiting),
    )
    db.session.remove()
    page = new_context(viewport=PHONE).new_page()

    page.goto(f"/events/{event_id}")
    expect(page.get_by_role("link", name="Add to Google Calendar")).to_have_attribute(
        "href", __import__("re").compile(r"^https://calendar\.google\.com/calendar/render\?")
    )
    expect(page.get_by_role("link", name="Add to Outlook.com")).to_be_visible()
    expect(
        page.get_by_role("link", name=__import__("re").compile("Download this event"))
    ).to_be_visible()
    expect(page.get_by_role("link", name="Subscribe in Google Calendar")).to_be_visible()
    assert "rum-42" not in page.content()
    check(page, "event page with calendar links")

    page.goto(f"/bookings/{confirmed_url}/confirmation")
    expect(page.get_by_role("link", name="Add to Google Calendar")).to_be_visible()
    check(page, "confirmation with calendar links")

    page.goto(f"/bookings/{confirmed_url}")
    join = page.get_by_role("region", name="Join the webinar")
    expect(join.get_by_role("link", name="https://meet.example.se/rum-42")).to_be_visible()
    expect(join).to_contain_text("The room opens 15 minutes before the start")
    check(page, "webinar manage page with the join link")

    page.goto(f"/bookings/{waiting_url}")
    expect(page.get_by_text("Your booking is number 2 on the waiting list.")).to_be_visible()
    assert "rum-42" not in page.content()
    check(page, "waiting booking's manage page")


def test_registering_twice_and_swedish_labels(app: Any, new_context: Any) -> None:
    event = f.event(capacity=1, kind=EventKind.STUDY_TRIP, title="Studieresa till Göteborg")
    f.book(event, 1)
    db.session.commit()
    event_id = event.id
    db.session.remove()
    page = new_context(viewport=PHONE).new_page()
    for attempt in range(2):
        page.goto(f"/events/{event_id}/register")
        fill_company(page, "556036-0793")
        fill_participant(page, 1, f"Person {attempt}", f"person{attempt}@gjuteri.example.se")
        page.get_by_label("I have read the privacy notice").check()
        page.get_by_role("button", name="Register", exact=True).click()
    expect(
        page.get_by_text("Your company is already registered for this event.", exact=False)
    ).to_be_visible()
    assert "can add 0 more" not in page.content()
    assert "karin.astrom@gjuteri.example.se" in page.get_by_label("Contact email").input_value()
    check(page, "registering twice")
    db.session.remove()
    first = db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
    assert first.status == BookingStatus.WAITLISTED
    first_url = manage_token(first)
    db.session.remove()

    swedish = new_context(viewport=PHONE, locale="sv-SE").new_page()
    swedish.goto(f"/events/{event_id}")
    expect(swedish.locator(".kind").first).to_have_text("Studieresa")
    swedish.goto(f"/bookings/{first_url}")
    expect(swedish.get_by_text("Status: På väntelistan")).to_be_visible()
    expect(swedish.get_by_text("nummer 1 på väntelistan", exact=False)).to_be_visible()
    check(swedish, "Swedish manage page")
