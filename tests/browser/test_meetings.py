"""Meetings in Chromium on a 375 px phone, in Swedish: one participant asks another for a
meeting from the booking's page, the other accepts it from
theirs, and both then see each other's address; every page checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_organiser_pages import fits_width
from tests.browser.test_registration_flow import assert_accessible
from tests.meetings.conftest import make_world
from webapp.bookings.services import manage_token
from webapp.db import db
from webapp.meetings.models import Meeting, MeetingStatus

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _meetings_page(world, i: int) -> str:
    return f"/bookings/{manage_token(world.bookings[i])}/meetings?participant={world.person(i).id}"


def test_a_request_and_its_acceptance_on_a_phone_in_swedish(app, new_context: Any) -> None:
    world = make_world()
    asker, asked = world.person(0), world.person(1)
    phone = new_context(viewport={"width": 375, "height": 800}, locale="sv-SE").new_page()

    phone.goto(f"/bookings/{manage_token(world.bookings[0])}")
    phone.get_by_role("link", name=f"Möten för {asker.name}").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Möten på Affärsdagarna")
    expect(phone.get_by_text(asked.email)).to_have_count(0)
    assert_accessible(phone, "the meetings page")
    assert fits_width(phone)

    phone.get_by_role("link", name="Be Visad 1 om ett möte").click()
    assert_accessible(phone, "the request form")
    # The text box stops at the longest message (the server refuses longer ones too).
    assert phone.get_by_label("Meddelande (valfritt)").get_attribute("maxlength") == "1000"
    phone.get_by_label("Meddelande (valfritt)").fill("Vi vill prata om solceller.")
    phone.get_by_role("button", name="Skicka förfrågan").click()
    expect(phone.get_by_text("Din förfrågan har skickats.")).to_be_visible()
    expect(phone.get_by_text("väntar på deras svar")).to_be_visible()
    assert_accessible(phone, "the meetings page with a request")

    other = new_context(viewport={"width": 375, "height": 800}, locale="sv-SE").new_page()
    other.goto(_meetings_page(world, 1))
    expect(other.get_by_text("Vi vill prata om solceller.")).to_be_visible()
    expect(other.get_by_text(asker.email)).to_have_count(0)
    assert_accessible(other, "the meetings page with a request to answer")
    other.get_by_role("button", name="Acceptera mötet med Visad 0").click()
    expect(other.get_by_text("Mötet är bokat")).to_be_visible()
    expect(other.get_by_role("link", name=asker.email)).to_be_visible()
    assert_accessible(other, "the meetings page with an accepted meeting")
    assert fits_width(other)

    db.session.rollback()  # end the test's read: see what the server committed
    assert db.session.scalars(select(Meeting.status)).one() == MeetingStatus.ACCEPTED
    phone.reload()
    expect(phone.get_by_role("link", name=asked.email)).to_be_visible()
