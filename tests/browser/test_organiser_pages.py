"""The demo admin logs in and goes through the organiser pages, in Chromium.

Every page is checked with axe-core for WCAG 2.1 A and AA violations in both colour schemes
and for reflow at 320 px with increased text spacing; the attendance page, used at the door
on a phone, must also fit a 375 px wide screen without scrolling sideways.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_registration_flow import assert_accessible, demo  # noqa: F401 - fixture
from webapp.demo import DEMO_USERS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]

TRIP = "Studieresa: vätgas i Hamburgs hamn"
BREAKFAST = "Frukostmöte: solceller på industritak"
ADMIN_EMAIL, _NAME, ADMIN_PASSWORD, _SLUG, _ROLE = DEMO_USERS[0]


def log_in(page: Page) -> None:
    page.goto("/organisers/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organiser login")
    assert_accessible(page, "login form")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My events")


def open_tab(page: Page, name: str) -> None:
    """Follow one of the event's organiser tabs."""
    page.get_by_role("navigation", name="Event pages").get_by_role("link", name=name).click()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def fits_width(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_organiser_pages(page: Page, new_context: Any) -> None:
    log_in(page)
    assert page.url.endswith("/organisers/")
    assert_accessible(page, "organiser dashboard")

    # The study trip: its edit form with the three sessions.
    page.get_by_role("link", name=TRIP).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TRIP)
    expect(page.get_by_role("group", name="Session 3")).to_be_visible()
    assert_accessible(page, "event edit form")

    # Its attendee list: the trip's three participants wait for approval.
    open_tab(page, "Attendees")
    expect(page.get_by_role("table")).to_contain_text("Lena Ek")
    assert_accessible(page, "attendee list")
    page.get_by_role("button", name="Print view").click()
    expect(page.get_by_role("columnheader", name="Signature")).to_be_visible()
    assert_accessible(page, "print view")
    # On paper (A4, narrower than a screen), the table is a table, not a box that scrolls.
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    assert page.locator("table").evaluate("(t) => getComputedStyle(t).display") == "table"
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.go_back()

    open_tab(page, "Emails")
    assert_accessible(page, "event outbox")

    open_tab(page, "Log")
    assert_accessible(page, "audit log")

    # The breakfast meeting is over: the door list has its confirmed participants.
    page.goto("/organisers/")
    page.get_by_role("row").filter(has_text=BREAKFAST).get_by_role("link", name="Attendees").click()
    open_tab(page, "Attendance")
    expect(page.get_by_label("Sara Nilsson")).not_to_be_checked()
    assert_accessible(page, "attendance page")
    page.get_by_label("Anna Lindqvist").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Saved: 1 present, 2 absent.")).to_be_visible()
    assert_accessible(page, "attendance page after saving")
    attendance_url = page.url

    # The same page on a phone: nothing sticks out sideways.
    phone = new_context(
        viewport={"width": 375, "height": 800}, storage_state=page.context.storage_state()
    ).new_page()
    phone.goto(attendance_url)
    expect(phone.get_by_label("Anna Lindqvist")).to_be_checked()
    assert fits_width(phone), "the attendance page scrolls sideways at 375 px"

    # The members of the admin's organisation.
    page.goto("/organisers/")
    page.get_by_role("region", name="Energikontor Mitt").get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members of Energikontor Mitt")
    expect(page.get_by_role("cell", name=ADMIN_EMAIL)).to_be_visible()
    assert_accessible(page, "members page")
