"""The company directory in Chromium, in Swedish on a 375 px phone: the company opens its
invitation's link, makes a mistake, publishes, finds itself in the directory with the
filters (no JavaScript needed for any of it), and withdraws; every page checked with
axe-core for WCAG 2.1 A and AA in both colour schemes."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.test_organiser_pages import fits_width
from tests.browser.test_registration_flow import assert_accessible, demo  # noqa: F401 - fixture
from webapp.companies.models import Company
from webapp.db import db
from webapp.directory import services

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]

COMPANY = "Norrfors Mekaniska AB"


def _edit_link() -> str:
    company = db.session.scalars(select(Company).where(Company.name == COMPANY)).one()
    link = services.edit_token(services.profile_of_company(company.id))
    db.session.remove()
    return f"/directory/profile/{link}"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_company_publishes_finds_itself_and_withdraws(new_context: Any, javascript: bool):
    phone: Page = new_context(
        viewport={"width": 375, "height": 800}, locale="sv-SE", java_script_enabled=javascript
    ).new_page()
    # axe and the width check run scripts in the page: only where scripts run.
    check = assert_accessible if javascript else lambda *_: None
    fits = fits_width if javascript else lambda _page: True
    phone.goto(_edit_link())
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{COMPANY} i företagskatalogen")
    expect(phone.get_by_text("Inte publicerad")).to_be_visible()
    check(phone, "edit page")
    assert fits(phone), "the edit page scrolls sideways at 375 px"

    phone.get_by_label("Vad företaget erbjuder").fill("Legotillverkning i rostfritt stål.")
    phone.get_by_label("Vad företaget söker").fill("Kunder inom gruvindustrin.")
    phone.get_by_label("Webbplats").fill("norrfors")
    phone.get_by_label("engelska", exact=True).check()
    phone.get_by_label("Bransch").select_option("C")
    phone.get_by_role("button", name="Spara och publicera").click()
    summary = phone.get_by_role("region", name="Det finns ett problem")
    expect(summary).to_contain_text("Webbplats")
    check(phone, "edit page with an error")

    phone.get_by_label("Webbplats").fill("https://norrfors.example.se")
    phone.get_by_role("button", name="Spara och publicera").click()
    expect(phone.get_by_text("Er profil är publicerad i företagskatalogen.")).to_be_visible()
    check(phone, "edit page, published")

    phone.goto("/directory")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Företagskatalog")
    check(phone, "directory")
    assert fits(phone), "the directory scrolls sideways at 375 px"
    phone.get_by_label("Sök", exact=True).fill("rostfritt")
    phone.get_by_label("Bransch").select_option("C")
    phone.get_by_role("button", name="Sök", exact=True).click()
    expect(phone.get_by_role("status")).to_have_text("1 företag")
    phone.get_by_role("link", name=COMPANY).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(COMPANY)
    expect(phone.get_by_text("Legotillverkning i rostfritt stål.")).to_be_visible()
    check(phone, "profile page")

    phone.goto(_edit_link())
    phone.get_by_role("button", name="Ta bort ur katalogen").click()
    expect(phone.get_by_text("Er profil finns inte längre i katalogen.")).to_be_visible()
    phone.goto("/directory?q=rostfritt")
    expect(phone.get_by_role("status")).to_have_text("0 företag")
    check(phone, "directory without the company")
