"""The demo admin goes through the company register in Chromium: list, company page,
correction (with a mistake first) and the merge page, each checked with axe-core for
WCAG 2.1 A and AA, and the list on a 375 px phone screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_organiser_pages import fits_width, log_in
from tests.browser.test_registration_flow import assert_accessible, demo  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]


def test_company_register_pages(page: Page, new_context: Any) -> None:
    log_in(page)
    page.get_by_role("link", name="Companies", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Companies")
    assert_accessible(page, "company list")

    # Fjordvind booked only a partner's event of the admin's project: seen, not correctable.
    expect(page.get_by_role("table")).to_contain_text("Fjordvind AS")
    page.get_by_label("Name or organisation number").fill("norrfors")
    page.get_by_label("Size class").select_option(label="Small enterprise")
    page.get_by_role("button", name="Show companies").click()
    expect(page.get_by_role("table").get_by_role("link")).to_have_count(1)
    assert_accessible(page, "filtered company list")
    name = "Norrfors Mekaniska AB"
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("heading", name="History of the record")).to_be_visible()
    assert_accessible(page, "company page")

    page.get_by_role("button", name="Correct the details").click()
    assert_accessible(page, "correction form")
    page.get_by_label("Organisation number").fill("123")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_role("region", name="There is a problem")).to_contain_text(
        "Organisation number"
    )
    assert_accessible(page, "correction form with an error")
    page.get_by_role("link", name="Back to").click()
    page.get_by_role("button", name="Correct the details").click()
    page.get_by_label("Company name").fill(f"{name} (rättat)")
    page.get_by_label("Why (optional, kept in the history)").fill("Bolagsverket")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("The correction has been saved")).to_be_visible()
    expect(page.get_by_role("list").filter(has_text="Bolagsverket")).to_be_visible()
    assert_accessible(page, "company page after a correction")

    page.get_by_role("button", name="Merge a duplicate record into this one").click()
    assert_accessible(page, "merge page")
    page.get_by_label("Organisation number").fill("5560360793")
    page.get_by_role("button", name="Find the record").click()
    assert_accessible(page, "merge page after a search")

    phone = new_context(
        viewport={"width": 375, "height": 800}, storage_state=page.context.storage_state()
    ).new_page()
    phone.goto("/organisers/companies")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Companies")
    assert fits_width(phone), "the company list scrolls sideways at 375 px"
    phone.get_by_role("link", name=f"{name} (rättat)").click()
    # Measured once the page and its stylesheet have loaded, not mid-navigation.
    expect(phone.get_by_role("heading", level=1)).to_contain_text(name)
    phone.wait_for_load_state("load")
    assert fits_width(phone), "the company page scrolls sideways at 375 px"
