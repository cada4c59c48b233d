"""The evaluation in Chromium on a 375 px phone in Swedish: the answer form (with a
mistake first), the answer received, the language switch, and the organisers' results
page; each checked with axe-core (WCAG 2.1 A and AA, both colour schemes, reflow)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.browser.test_organiser_pages import fits_width
from tests.browser.test_registration_flow import assert_accessible
from tests.feedback.helpers import answer, booking_with_attendance
from webapp.accounts.models import Role
from webapp.db import db
from webapp.feedback import services
from webapp.feedback.models import FeedbackAnswer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 375, "height": 800}, "locale": "sv-SE"}


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    event = f.event(title="Frukostmöte om cirkulär ekonomi")
    people = booking_with_attendance(event, 3, language="sv").participants
    answer(people[1].id, 4, 5, "Konkreta exempel från andra företag", "Längre frågestund")
    answer(people[2].id, 2, 3, None, "Lokalen var för liten")
    organiser = h.user(event.organisation, Role.ORGANISER, email="arrangor@example.se")
    db.session.commit()
    token = services.token(people[0].id)
    ids = {"event": event.id, "token": token, "organiser": organiser.email}
    db.session.remove()
    return ids


def test_answer_form_on_a_phone_in_swedish(new_context: Any, world: dict[str, Any]) -> None:
    page = new_context(**PHONE).new_page()
    page.goto(f"/feedback/{world['token']}")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Utvärdering")
    assert fits_width(page)
    assert_accessible(page, "evaluation form")

    # Sent without the ratings: a message on each, nothing stored.
    page.get_by_role("button", name="Skicka mina svar").click()
    expect(page.get_by_role("heading", name="Det finns ett problem")).to_be_visible()
    expect(page.locator("#overall-error")).to_have_text("Välj ett betyg från 1 till 5.")
    assert_accessible(page, "evaluation form with mistakes")

    page.get_by_role("group", name="Vilket betyg ger du evenemanget som helhet?").get_by_label(
        "5"
    ).check()
    page.get_by_role("group", name="Hur användbart var det för ditt företag?").get_by_label(
        "4"
    ).check()
    page.get_by_label(services.DEFAULT_QUESTIONS["sv"][0]).fill("Nätverkandet")
    page.get_by_role("button", name="Skicka mina svar").click()
    expect(page.get_by_text("Tack! Vi har tagit emot dina svar.")).to_be_visible()
    expect(page.get_by_text("Du har redan svarat på den här utvärderingen.")).to_be_visible()
    assert fits_width(page)
    assert_accessible(page, "evaluation answered")
    stored = db.session.scalars(select(FeedbackAnswer).order_by(FeedbackAnswer.id)).all()
    assert [(a.overall, a.usefulness, a.answer_1) for a in stored][-1] == (5, 4, "Nätverkandet")

    # The switch shows the page in English.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("You have already answered this evaluation.")).to_be_visible()


def test_results_page_on_a_phone_in_swedish(new_context: Any, world: dict[str, Any]) -> None:
    page = new_context(**PHONE).new_page()
    page.goto("/organisers/login")
    page.locator("#email").fill(world["organiser"])
    page.locator("#password").fill(h.PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"/organisers/events/{world['event']}/feedback")
    expect(page.get_by_role("link", name="Utvärdering", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_text("Lokalen var för liten")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Genomsnitt")
    assert fits_width(page)
    assert_accessible(page, "evaluation results")
    # The field stops typing at 300 characters (maxlength); sent longer all the same:
    question = page.get_by_label("Fråga 1 på svenska")
    question.evaluate("field => field.removeAttribute('maxlength')")
    question.fill("x" * 301)
    page.get_by_role("button", name="Spara frågorna").click()
    expect(page.locator(".field-error", has_text="Skriv högst 300 tecken.")).to_be_visible()
    assert_accessible(page, "evaluation questions with a mistake")
    page.get_by_label("Fråga 1 på svenska").fill("Vad tar du med dig hem?")
    page.get_by_role("button", name="Spara frågorna").click()
    expect(page.get_by_text("Utvärderingens frågor har sparats.")).to_be_visible()
    expect(page.get_by_role("heading", name="Vad tar du med dig hem?")).to_be_visible()
