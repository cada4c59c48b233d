"""De minimis aid in Chromium: the declaration on the demo study trip's registration form
(with bad input first), the organiser's approval, the aid record and certificate, the
event's and project's settings and the register, each checked with axe-core for WCAG 2.1
A and AA, and the certificate on a 375 px phone screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.test_organiser_pages import TRIP, fits_width, log_in
from tests.browser.test_registration_flow import (  # noqa: F401 - demo is a fixture
    assert_accessible,
    demo,
    fill_company,
    fill_participant,
    fresh_booking,
)
from tests.factories import swedish_orgnr
from webapp.aid.models import AidGrant
from webapp.bookings import services as bookings
from webapp.db import db

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]


def test_declaration_approval_and_certificate(page: Page, new_context: Any) -> None:
    org_number = swedish_orgnr(4801)
    page.goto("/")
    page.get_by_role("link", name=TRIP).click()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("group", name="De minimis aid", exact=True)).to_be_visible()
    assert_accessible(page, "registration form with the declaration")
    fill_company(page, org_number)
    fill_participant(page, 1, "Karin Åström", "karin@gjuteriet.example.se")
    page.get_by_label("Yes, this much in total:").check()
    page.get_by_label("Amount in euros").fill("12.000,50 €")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_label("I confirm that this declaration is true").check()
    page.get_by_label("What do you want to get out of the trip?").fill("Vätgas i logistiken.")
    page.get_by_role("button", name="Send the application").click()
    expect(page.locator(".field-error", has_text="in digits")).to_be_visible()
    assert_accessible(page, "declaration with a mistake")
    page.get_by_label("Amount in euros").fill("12 000,50")
    page.get_by_role("button", name="Send the application").click()
    expect(page.get_by_text("Bergslagens Gjuteri AB")).to_be_visible()
    booking = fresh_booking(org_number)
    assert booking.status.value == "pending"

    log_in(page)
    page.goto(f"/organisers/events/{booking.event_id}/attendees")
    expect(page.get_by_text("De minimis: EUR 12 000.50")).to_be_visible()
    page.goto(f"/organisers/bookings/{booking.id}")
    expect(page.get_by_role("heading", name="De minimis aid")).to_be_visible()
    assert_accessible(page, "booking page with the aid box")
    page.goto(f"/organisers/events/{booking.event_id}/aid")
    assert_accessible(page, "event aid settings")
    page.get_by_label("Value in kronor").fill("1e9")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error", has_text="in digits")).to_be_visible()
    assert_accessible(page, "event aid settings with a mistake")
    page.goto(f"/organisers/projects/{booking.event.project_id}/aid")
    assert_accessible(page, "project aid settings")

    bookings.approve(booking.id)
    db.session.commit()
    grant = db.session.scalar(select(AidGrant).where(AidGrant.booking_id == booking.id))
    page.goto(f"/organisers/aid/grants/{grant.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of de minimis aid")
    assert_accessible(page, "aid record")
    page.goto(
        f"/organisers/organisations/{grant.organisation_id}/aid?start=2020-01-01&end=2099-12-31"
    )
    expect(page.get_by_role("table")).to_contain_text("Bergslagens Gjuteri AB")
    assert_accessible(page, "aid register")

    phone = new_context(viewport={"width": 375, "height": 800}).new_page()
    phone.goto(f"/bookings/{bookings.manage_token(fresh_booking(org_number))}/aid/certificate")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Certificate of de minimis aid"
    )  # the booking was in English
    assert_accessible(phone, "certificate on a phone")
    assert fits_width(phone)
