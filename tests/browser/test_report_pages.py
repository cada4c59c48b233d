"""The demo admin opens the funder reports in Chromium: axe-core finds no WCAG 2.1 A/AA
violation on the list of reports or on a report with its charts, in English and Swedish,
and the report fits a 375 px wide phone without scrolling sideways."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_organiser_pages import fits_width, log_in
from tests.browser.test_registration_flow import assert_accessible, demo  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]

PROJECT = "Grön omställning i småföretag 2026–2028"


def test_report_pages(page: Page, new_context: Any) -> None:
    log_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    assert_accessible(page, "list of reports")

    # Energikontor Mitt's breakfast meeting a month ago: two companies, three participants.
    page.get_by_role("link", name="Energikontor Mitt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report: Energikontor Mitt")
    expect(page.get_by_role("img", name="Unique persons by gender")).to_be_visible()
    expect(page.get_by_role("table", name="Participants by gender")).to_contain_text("Total")
    assert_accessible(page, "organisation report")

    # A wrong period is explained on its field.
    page.get_by_label("From", exact=True).fill("2026-12-31")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show report").click()
    expect(page.get_by_text("The period ends before it starts.")).to_be_visible()
    assert_accessible(page, "report with a wrong period")

    page.goto("/organisers/reports/")
    page.get_by_role("link", name=PROJECT).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PROJECT)
    assert_accessible(page, "project report")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download workbook (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # In Swedish, and on a phone.
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport")
    assert_accessible(page, "project report in Swedish")
    phone = new_context(
        viewport={"width": 375, "height": 800}, storage_state=page.context.storage_state()
    ).new_page()
    phone.goto(page.url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text(PROJECT)
    assert fits_width(phone), "the report scrolls sideways at 375 px"
