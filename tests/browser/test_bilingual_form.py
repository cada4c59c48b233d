"""The organiser's event form with its English fields, in Swedish on a 375 px phone:
axe-clean with the "missing in English" note, with a too-long English title refused on
its field, and once the English is given."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_organiser_pages import ADMIN_EMAIL, ADMIN_PASSWORD, TRIP
from tests.browser.test_registration_flow import assert_accessible, demo  # noqa: F401 - fixture
from webapp.db import db
from webapp.events.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]


def test_english_fields_on_the_event_form_in_swedish_at_375_px(new_context: Any) -> None:
    event_id = db.session.scalar(select(Event.id).where(Event.title == TRIP))
    db.session.remove()
    page = new_context(locale="sv-SE", viewport={"width": 375, "height": 800}).new_page()
    page.goto("/organisers/login")
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina evenemang")
    expect(page.get_by_text("Saknas på engelska: rubrik").first).to_be_visible()
    assert_accessible(page, "dashboard with missing translations")

    page.goto(f"/organisers/events/{event_id}/edit")
    expect(page.locator(".flash-warning")).to_contain_text("Saknas på engelska: rubrik")
    expect(page.get_by_role("heading", name="På engelska")).to_be_visible()
    assert_accessible(page, "event form with its English fields")

    title = page.get_by_label("Rubrik på engelska (valfritt)", exact=True)
    title.evaluate("(el) => el.removeAttribute('maxlength')")
    title.fill("x" * 201)
    page.get_by_role("button", name="Spara").click()
    expect(page.locator("#title_en-error")).to_have_text(
        "Den engelska rubriken får vara högst 200 tecken."
    )
    expect(page.get_by_label("Rubrik på engelska (valfritt)", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_accessible(page, "event form with a too-long English title")

    page.get_by_label("Rubrik på engelska (valfritt)", exact=True).fill(
        "Study trip: hydrogen in Hamburg"
    )
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.get_by_label("Rubrik på engelska (valfritt)", exact=True)).to_have_value(
        "Study trip: hydrogen in Hamburg"
    )
    expect(page.locator(".flash-warning")).not_to_contain_text("rubrik,")
    assert_accessible(page, "event form after the English title was given")
