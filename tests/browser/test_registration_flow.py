"""A person finds the webinar, registers two participants and removes one, in Chromium.

Every page on the way is checked with axe-core for WCAG 2.1 A and AA violations in both
colour schemes, and for reflow at 320 px with increased text spacing (``assert_accessible``).
A second test does the registration with JavaScript switched off: the form must not need it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import swedish_orgnr
from webapp.bookings.models import Booking, BookingStatus
from webapp.companies.models import Company
from webapp.db import db
from webapp.demo import load_demo
from webapp.events.models import Event, EventKind

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WEBINAR = "Webbinarium: energikartläggning för små företag"


@pytest.fixture
def demo(app: Any) -> None:
    load_demo()
    db.session.commit()
    db.session.remove()


def assert_accessible(page: Page, what: str) -> None:
    """The page as it is now: no WCAG 2.1 A/AA violations that axe-core finds, in the light
    and in the dark colour scheme, and no sideways scrolling of the page at 320 px with the
    text spacing of WCAG 1.4.12."""
    from axe_playwright_python.sync_playwright import Axe

    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        # Pico fades colours over 0.2 s: check the colours the scheme ends with.
        page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
        results = Axe().run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_21_AA},
                "resultTypes": ["violations"],
            },
        )
        assert results.violations_count == 0, f"{what} ({scheme}):\n{results.generate_report()}"
    assert_reflows(page, what)


#: WCAG 1.4.12: what a reader may set without losing content or getting sideways scrolling.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: .12em !important;"
    " word-spacing: .16em !important; } p { margin-bottom: 2em !important; }"
)
_WITH_TEXT_SPACING = """(css) => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  window.__textSpacing = sheet;
}"""
_WITHOUT_TEXT_SPACING = """() => {
  document.adoptedStyleSheets = document.adoptedStyleSheets.filter(
    (sheet) => sheet !== window.__textSpacing);
}"""
# The elements sticking out on the right that are not inside a box that scrolls by itself.
_STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 1
      && (!inScroller(el) || getComputedStyle(el).position === "absolute"))
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
      + `${el.className && typeof el.className === "string" ? "." + el.className : ""}`
      + ` (${Math.round(el.getBoundingClientRect().right)} px)`);
}"""


def assert_reflows(page: Page, what: str) -> None:
    """At 320 CSS px wide, with WCAG 1.4.12 text spacing, the page does not scroll sideways
    (a table may, in its own box). The page is put back as it was afterwards."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    page.evaluate(_WITH_TEXT_SPACING, TEXT_SPACING)
    try:
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        culprits = page.evaluate(_STICKING_OUT) if overflow > 0 else []
    finally:
        page.evaluate(_WITHOUT_TEXT_SPACING)
        if size:
            page.set_viewport_size(size)
    assert overflow <= 0, f"{what} scrolls {overflow} px sideways at 320 px: {culprits}"


def fresh_booking(org_number: str) -> Booking:
    """The company's booking as the database has it now (not the test's session cache)."""
    db.session.remove()
    return db.session.scalars(
        select(Booking).join(Company).where(Company.org_number == org_number)
    ).one()


def webinar() -> Event:
    db.session.remove()
    return db.session.scalars(select(Event).where(Event.kind == EventKind.WEBINAR)).one()


def fill_company(page: Page, org_number: str) -> None:
    page.get_by_label("Country").select_option("SE")
    page.get_by_label("Organisation number").fill(org_number)
    page.get_by_label("Company name").fill("Bergslagens Gjuteri AB")
    page.get_by_label("County").select_option(label="Örebro län")
    page.get_by_label("How many people work in the company?").select_option(label="10 to 49 people")
    page.get_by_label("Annual turnover").select_option(label="Up to 2 million euros")
    page.get_by_label("Contact person").fill("Karin Åström")
    page.get_by_label("Contact email").fill("karin.astrom@gjuteri.example.se")


def fill_participant(page: Page, n: int, name: str, email: str) -> None:
    block = page.get_by_role("group", name=f"Participant {n}")
    block.get_by_label("Name", exact=True).fill(name)
    block.get_by_label("Email", exact=True).fill(email)


def test_find_register_and_manage(page: Page, demo: None) -> None:
    org_number = swedish_orgnr(4711)
    seats_before = webinar().seats_taken

    # The list: narrow it to webinars and open the one there is.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming events")
    assert_accessible(page, "event list")
    page.get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Accessibility statement for Träffpunkt"
    )
    assert_accessible(page, "accessibility statement")
    page.go_back()
    page.get_by_label("Kind").select_option(label="Webinar")
    page.get_by_role("button", name="Show events").click()
    expect(page.get_by_text("1 event", exact=True)).to_be_visible()
    page.get_by_role("link", name=WEBINAR).click()

    # The event page.
    expect(page.get_by_role("heading", level=1)).to_have_text(WEBINAR)
    expect(page.get_by_text("The link to join is sent to registered participants.")).to_be_visible()
    assert_accessible(page, "event detail")
    page.get_by_role("button", name="Register").click()

    # The form: sent empty first, the errors are shown and tied to their fields.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Register for {WEBINAR}")
    assert_accessible(page, "registration form")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("region", name="There is a problem")).to_contain_text(
        "Please correct the fields"
    )
    expect(page.get_by_label("Organisation number")).to_have_attribute("aria-invalid", "true")
    # The summary at the top links to each field, naming the participant it belongs to.
    summary_link = page.get_by_role(
        "link", name="Participant 1 – Email: Enter the participant's email address."
    )
    expect(summary_link).to_have_attribute("href", "#participants-0-email")
    assert_accessible(page, "registration form with errors")

    fill_company(page, org_number)
    fill_participant(page, 1, "Karin Åström", "karin.astrom@gjuteri.example.se")
    page.get_by_role("button", name="Add another participant").click()
    # The page came back with a second block and the first one still filled in.
    first = page.get_by_role("group", name="Participant 1")
    expect(first.get_by_label("Name", exact=True)).to_have_value("Karin Åström")
    fill_participant(page, 2, "Mikael Berg", "mikael.berg@gjuteri.example.se")
    second = page.get_by_role("group", name="Participant 2")
    second.get_by_label("Dietary needs (optional)").fill("Vegetarian")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Register", exact=True).click()

    # The confirmation.
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for registering")
    expect(page.get_by_text("Your booking is confirmed.")).to_be_visible()
    expect(page.get_by_text("Mikael Berg (mikael.berg@gjuteri.example.se)")).to_be_visible()
    assert_accessible(page, "confirmation")
    booking = fresh_booking(org_number)
    assert booking.status == BookingStatus.CONFIRMED
    assert [p.name for p in booking.active_participants] == ["Karin Åström", "Mikael Berg"]
    assert booking.participants[1].dietary_needs == "Vegetarian"
    assert booking.seats_held == 2
    assert booking.consent_version and booking.consent_at is not None
    assert webinar().seats_taken == seats_before + 2

    # The manage page, reached by the secret link; one participant can no longer come.
    page.get_by_role("link", name=re.compile("bookings")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your booking")
    assert_accessible(page, "manage page")
    page.get_by_role("button", name="Remove Mikael Berg").click()
    # A confirmation step says what happens before anything changes.
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Mikael Berg?")
    assert fresh_booking(org_number).seats_held == 2
    page.get_by_role("button", name="Yes, remove Mikael Berg").click()
    expect(page.get_by_text("The participant has been removed.")).to_be_visible()
    participants = page.get_by_role("table").get_by_role("row")
    expect(participants).to_have_count(2)  # the header and Karin
    expect(participants.nth(1)).to_contain_text("Karin Åström")
    assert_accessible(page, "manage page after a change")

    booking = fresh_booking(org_number)
    assert [p.name for p in booking.active_participants] == ["Karin Åström"]
    assert booking.seats_held == 1
    assert webinar().seats_taken == seats_before + 1


def test_registration_works_without_javascript(new_context: Any, demo: None) -> None:
    page = new_context(java_script_enabled=False, viewport={"width": 375, "height": 800}).new_page()
    org_number = swedish_orgnr(4712)
    page.goto("/")
    page.get_by_role("link", name=WEBINAR).click()
    page.get_by_role("button", name="Register").click()
    fill_company(page, org_number)
    fill_participant(page, 1, "Karin Åström", "karin.astrom@gjuteri.example.se")
    page.get_by_role("button", name="Add another participant").click()
    fill_participant(page, 2, "Mikael Berg", "mikael.berg@gjuteri.example.se")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Register", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for registering")
    booking = fresh_booking(org_number)
    assert len(booking.active_participants) == 2
    assert booking.status == BookingStatus.CONFIRMED
