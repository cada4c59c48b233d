"""Registration questions in Chromium: the organiser adds questions to the demo study trip
(a mistake first), the registration form asks them (a mistake first), the answers show in
the attendee list and can be filtered; every page checked with axe-core for WCAG 2.1 A and
AA, the question page also on a 375 px phone and in Swedish."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_organiser_pages import TRIP, fits_width, log_in, open_tab
from tests.browser.test_registration_flow import (  # noqa: F401 - demo is a fixture
    assert_accessible,
    demo,
    fill_company,
    fill_participant,
    fresh_booking,
)
from tests.factories import swedish_orgnr

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]


def test_questions_from_the_organiser_to_the_attendee_list(page: Page, new_context: Any) -> None:
    log_in(page)
    page.get_by_role("link", name=TRIP).click()
    open_tab(page, "Questions")
    expect(page.get_by_role("table")).to_contain_text("What do you want to get out of the trip?")
    assert_accessible(page, "question page")
    questions_url = page.url

    # A choice question without options is refused on its field.
    page.get_by_label("Question in Swedish").fill("Vilket spår?")
    page.get_by_label("Question in English").fill("Which track?")
    page.get_by_label("Kind of answer").select_option(label="One choice")
    page.get_by_label("Once per participant").check()
    page.get_by_label("An answer is required").check()
    page.get_by_role("button", name="Save the question").click()
    expect(page.locator(".field-error", has_text="at least one option")).to_be_visible()
    assert_accessible(page, "question form with a mistake")
    page.get_by_label("Options in Swedish").fill("Export\nEnergi")
    page.get_by_label("Options in English").fill("Export\nEnergy")
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_text("The question has been added.")).to_be_visible()
    page.get_by_role("link", name="Edit “Which track?”").click()
    expect(page.get_by_label("Options in Swedish")).to_have_value("Export\nEnergi")
    assert_accessible(page, "question edit form")

    # On a phone and in Swedish.
    phone = new_context(
        viewport={"width": 375, "height": 800},
        locale="sv-SE",
        storage_state=page.context.storage_state(),
    ).new_page()
    phone.goto(questions_url)
    expect(phone.get_by_role("heading", name="Frågor vid anmälan")).to_be_visible()
    assert fits_width(phone), "the question page scrolls sideways at 375 px"
    assert_accessible(phone, "question page on a phone, in Swedish")

    # The public form asks both questions; a missing answer is refused on its field.
    org_number = swedish_orgnr(4901)
    applicant = new_context().new_page()
    applicant.goto("/")
    applicant.get_by_role("link", name=TRIP).click()
    applicant.get_by_role("button", name="Apply").click()
    fill_company(applicant, org_number)
    fill_participant(applicant, 1, "Karin Åström", "karin@gjuteri.example.se")
    applicant.get_by_label("None").check()  # the de minimis declaration
    applicant.get_by_label("I confirm that this declaration is true").check()
    applicant.get_by_label("I have read the privacy notice").check()
    applicant.get_by_role("button", name="Send the application").click()
    expect(applicant.locator(".field-error", has_text="Answer the question.")).to_be_visible()
    expect(applicant.locator(".field-error", has_text="Choose an answer.")).to_be_visible()
    assert_accessible(applicant, "registration form with questions and mistakes")
    applicant.get_by_label("What do you want to get out of the trip?").fill("Vätgastruckar.")
    applicant.get_by_role("group", name="Which track?").get_by_label("Energy").check()
    applicant.get_by_role("button", name="Send the application").click()
    expect(applicant.get_by_text("Bergslagens Gjuteri AB")).to_be_visible()
    booking = fresh_booking(org_number)
    assert booking.status.value == "pending"

    # The organiser sees the answers, and filters the list by the choice.
    page.goto(questions_url.replace("/questions", "/attendees"))
    expect(page.get_by_role("table")).to_contain_text("Which track?: Energy")
    page.get_by_label("Which track?").select_option(label="Energy")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table")).to_contain_text("Bergslagens Gjuteri AB")
    expect(page.get_by_role("table")).not_to_contain_text("Lena Ek")
    assert_accessible(page, "attendee list filtered by an answer")
    page.goto(f"/organisers/bookings/{booking.id}")
    expect(page.get_by_role("region", name="Answers to the event's questions")).to_contain_text(
        "Vätgastruckar."
    )
    assert_accessible(page, "booking page with answers")
