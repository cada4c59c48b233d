"""Check-in at the door, in Chromium on a 375 px phone in Swedish: a participant's real QR
code (the PNG their confirmation carries) is decoded by the page's own decoder (the vendored
jsQR) and handed to its scan handler, which submits the code form; a second scan is
refused with the time; a second participant is found by name and marked with the button.
Each state is checked with axe-core for WCAG 2.1 A and AA, and nothing scrolls sideways."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.test_organiser_pages import BREAKFAST, fits_width, log_in
from tests.browser.test_registration_flow import assert_accessible, demo  # noqa: F401 - fixture
from webapp.bookings.models import Participant
from webapp.checkin import qr, services
from webapp.db import db
from webapp.events.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]


def _participant(event: Event, name: str) -> Participant:
    return next(p for p in services.expected_participants(event.id) if p.name == name)


def test_check_in_by_qr_code_and_by_name_on_a_phone(app: Any, page: Page, new_context: Any):
    log_in(page)
    event = db.session.scalars(select(Event).where(Event.title == BREAKFAST)).one()
    anna, sara = _participant(event, "Anna Lindqvist"), _participant(event, "Sara Nilsson")
    with app.test_request_context("/", base_url=page.url.split("/organisers")[0]):
        link = services.link(anna)
    image = "data:image/png;base64," + base64.b64encode(qr.png(link)).decode()
    session_id = event.sessions[0].id
    db.session.remove()

    # The organiser's tab leads there (desktop, English).
    page.goto(f"/organisers/events/{event.id}/attendees")
    page.get_by_role("navigation", name="Event pages").get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", level=2, name="Check-in")).to_be_visible()
    assert_accessible(page, "check-in page")

    phone = new_context(
        viewport={"width": 375, "height": 800},
        locale="sv-SE",
        storage_state=page.context.storage_state(),
    ).new_page()
    phone.goto(f"/organisers/events/{event.id}/check-in")
    expect(phone.get_by_role("heading", level=2, name="Incheckning")).to_be_visible()
    expect(phone.get_by_text("0 av 3 incheckade")).to_be_visible()
    # A camera can be asked for here (127.0.0.1 is a secure context): the scan button shows.
    expect(phone.get_by_role("button", name="Skanna med kameran")).to_be_visible()
    assert_accessible(phone, "check-in page on a phone (sv)")
    assert fits_width(phone), "the check-in page scrolls sideways at 375 px"

    def scan() -> str:
        """What the camera loop does with a frame: decode it with jsQR, hand it on."""
        return phone.evaluate(
            """async (src) => {
                await window.traffpunktCheckin.loadJsQR();
                const img = new Image();
                img.src = src;
                await img.decode();
                const canvas = document.createElement("canvas");
                canvas.width = img.width;
                canvas.height = img.height;
                const context = canvas.getContext("2d");
                context.drawImage(img, 0, 0);
                const text = window.traffpunktCheckin.decodeImage(
                    context.getImageData(0, 0, img.width, img.height));
                window.traffpunktCheckin.handle(text);
                return text;
            }""",
            image,
        )

    with phone.expect_navigation():
        assert scan() == link
    expect(phone.get_by_text("Incheckad: Anna Lindqvist")).to_be_visible()
    expect(phone.get_by_text("1 av 3 incheckade")).to_be_visible()
    assert "scan=1" in phone.url  # the camera starts again for the next person
    assert_accessible(phone, "check-in page after a scan (sv)")
    assert services.checked_in(db.session.get(Event, event.id).sessions[0]).keys() == {anna.id}
    db.session.remove()

    with phone.expect_navigation():
        scan()
    expect(phone.locator(".field-error")).to_contain_text("Anna Lindqvist är redan incheckad kl.")
    assert_accessible(phone, "check-in page with a code scanned twice (sv)")

    # A garbage code, typed: a clear message, nothing stored.
    phone.get_by_label("Incheckningskod").fill("inte-en-kod")
    phone.get_by_role("button", name="Checka in", exact=True).click()
    expect(phone.locator(".field-error")).to_contain_text("ingen incheckningskod")

    # By name: the search finds Sara, her button checks her in.
    phone.get_by_label("Namn eller företag").fill("sara")
    phone.get_by_role("button", name="Sök", exact=True).click()
    expect(phone.locator(".checkin-results")).to_contain_text("Solbacka Energi AB")
    assert_accessible(phone, "name search results (sv)")
    assert fits_width(phone), "the search results scroll sideways at 375 px"
    phone.get_by_role("button", name="Checka in Sara Nilsson").click()
    expect(phone.get_by_text("Incheckad: Sara Nilsson")).to_be_visible()
    expect(phone.get_by_text("2 av 3 incheckade")).to_be_visible()
    expect(phone.locator(".checkin-results")).to_contain_text("Incheckad kl.")  # Sara, listed
    present = services.checked_in(db.session.get(Event, event.id).sessions[0])
    assert present.keys() == {anna.id, sara.id}
    assert not services.checked_in(db.session.get(Event, event.id).sessions[0]).keys() - {
        anna.id,
        sara.id,
    }
    assert session_id == event.sessions[0].id
