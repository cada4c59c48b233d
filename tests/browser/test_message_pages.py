"""An organiser writes to participants in Chromium: the form, its errors, the preview with
the count, and the emails tab listing what was sent, each page checked with axe-core
(both colour schemes, reflow at 320 px); the event form's reminder rows too."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_organiser_pages import TRIP, log_in, open_tab
from tests.browser.test_registration_flow import assert_accessible, demo  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]


def test_message_to_participants(page: Page) -> None:
    log_in(page)
    page.get_by_role("link", name=TRIP).click()
    expect(page.get_by_role("group", name="Reminder 1")).to_be_visible()
    page.get_by_label("Practical information", exact=True).fill("Ta med pass.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The event has been saved.")).to_be_visible()

    open_tab(page, "Emails")
    page.get_by_role("link", name="Write a message to participants").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Message to participants")
    assert_accessible(page, "message form")

    page.get_by_role("button", name="Show recipients and a preview").click()
    expect(page.get_by_role("region", name="There is a problem")).to_be_visible()
    assert_accessible(page, "message form with errors")

    page.get_by_label("Send to").select_option(label="Bookings awaiting approval")
    page.get_by_label("Subject in Swedish").fill("Urvalet görs i nästa vecka")
    page.get_by_label("Message in Swedish").fill("Hej!\n\nVi hör av oss på fredag.")
    page.get_by_label("Subject in English").fill("We select next week")
    page.get_by_label("Message in English").fill("Hello!\n\nWe will be in touch on Friday.")
    page.get_by_role("button", name="Show recipients and a preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the message?")
    expect(page.get_by_role("region", name="What happens")).to_contain_text("recipient")
    assert_accessible(page, "message preview")

    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_text("The message was queued for")).to_be_visible()
    table = page.get_by_role("table").filter(has_text="Urvalet görs i nästa vecka")
    expect(table).to_contain_text("Bookings awaiting approval")
    assert_accessible(page, "emails tab with a sent message")
