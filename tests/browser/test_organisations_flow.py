"""The first administrator runs an organisation in Chromium: settings, a project, a partner.

Setup → log in → settings (a bad slug is refused on its field) → a new project → invite a
partner → the partner's admin accepts → the partner creates an event in the project → the
public project page. Every new page is checked with axe-core (WCAG 2.1 A and AA), in
English here and the public page in Swedish too.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.accounts import helpers as h
from tests.browser.test_registration_flow import assert_accessible
from webapp.accounts import services as accounts
from webapp.db import db
from webapp.organisations.services import OrganisationData

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "ett långt lösenord"


@pytest.fixture
def installed(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", h.cheap_hasher())
    accounts.setup(
        OrganisationData(name="Teknikparken Väst", slug="teknikparken"),
        "ada@teknikparken.se",
        "Ada Admin",
        PASSWORD,
    )
    partner = accounts.create_organisation(
        None, OrganisationData(name="Innovasjon Hedmark", slug="innovasjon", country="NO")
    )
    user = accounts.create_user("nora@innovasjon.no", "Nora Leder", PASSWORD)
    accounts.add_member(partner.id, user, accounts.Role.ADMIN)
    db.session.commit()
    db.session.remove()


def log_in(page: Page, email: str) -> None:
    page.goto("/organisers/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My events")


def test_organisation_project_and_partner_flow(installed: None, new_context: Any) -> None:
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, "ada@teknikparken.se")
    assert_accessible(page, "dashboard")

    page.get_by_role("navigation", name="Organisation pages").get_by_role(
        "link", name="Settings"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings of Teknikparken Väst")
    assert_accessible(page, "settings")
    page.get_by_label("Address in links").fill("teknik park")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#slug-error")).to_contain_text("Use lower-case letters")
    assert_accessible(page, "settings with an error")
    page.get_by_label("Address in links").fill("teknikparken-vast")
    page.get_by_label("Name emails are sent in").fill("Teknikparken Event")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("The settings have been saved.")).to_be_visible()
    page.get_by_label("Privacy notice in English").fill("We keep your details for the event.")
    page.get_by_role("button", name="Save as a new version").click()
    expect(
        page.get_by_text("Version 2 of the privacy notice is in use from now on.")
    ).to_be_visible()
    page.get_by_role("link", name="Version 2").click()
    expect(page.get_by_text("We keep your details for the event.")).to_be_visible()
    assert_accessible(page, "privacy notice version")

    page.goto("/organisers/organisations/1/projects")
    assert_accessible(page, "projects")
    page.get_by_role("button", name="New project").click()
    assert_accessible(page, "new project form")
    page.get_by_label("Name", exact=True).fill("Gränslös innovation")
    page.get_by_label("Address in links").fill("granslos")
    page.get_by_label("Funder", exact=True).fill("Interreg Sverige-Norge")
    page.get_by_label("First day of the period").fill("2026-01-01")
    page.get_by_label("Last day of the period").fill("2025-12-31")
    page.get_by_label("Funding statement").fill("Medfinansieras av Europeiska unionen")
    page.get_by_role("button", name="Save the project").click()
    expect(page.locator("#ends_on-error")).to_be_visible()
    assert_accessible(page, "project form with an error")
    page.get_by_label("Last day of the period").fill("2028-12-31")
    page.get_by_role("button", name="Save the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gränslös innovation")
    page.get_by_label("Organisation's address").fill("innovasjon")
    page.get_by_role("button", name="Invite as partner").click()
    expect(page.get_by_text("Innovasjon Hedmark has been invited.")).to_be_visible()
    assert_accessible(page, "project page")

    page.goto("/organisers/organisations/1/log")
    expect(page.get_by_role("table")).to_contain_text("Partner organisation invited")
    assert_accessible(page, "organisation log")
    page.goto("/organisers/site/organisations")
    assert_accessible(page, "site organisations")
    page.goto("/organisers/organisations/1/members")
    assert_accessible(page, "members")

    partner = new_context(viewport={"width": 375, "height": 800}).new_page()
    log_in(partner, "nora@innovasjon.no")
    partner.goto("/organisers/organisations/2/projects")
    assert_accessible(partner, "partner's projects at 375 px")
    partner.get_by_role("button", name="Accept: Gränslös innovation").click()
    expect(partner.get_by_text("You are a partner in the project now.")).to_be_visible()

    partner.goto("/organisers/events/new")
    partner.get_by_label("Kind of event", exact=True).select_option("webinar")
    partner.get_by_label("Title", exact=True).fill("Webbinarium: export till Norge")
    partner.get_by_label("Project (optional)").select_option(label="Gränslös innovation")
    partner.get_by_label("Online join link").fill("https://meet.example.no/x")
    partner.get_by_label("Date").first.fill("2027-03-14")
    partner.get_by_label("Starts (HH:MM)").first.fill("10:00")
    partner.get_by_label("Ends (HH:MM)").first.fill("11:00")
    partner.get_by_role("button", name="Save", exact=True).click()
    expect(partner.get_by_text("The event has been saved as a draft.")).to_be_visible()
    partner.get_by_role("button", name="Publish").click()
    expect(partner.get_by_text("The event is published.")).to_be_visible()

    public = new_context(locale="sv-SE").new_page()
    public.goto("/projects/granslos")
    expect(public.get_by_role("heading", level=1)).to_have_text("Gränslös innovation")
    expect(public.get_by_text("Medfinansieras av Europeiska unionen")).to_be_visible()
    expect(public.get_by_role("link", name="Webbinarium: export till Norge")).to_be_visible()
    expect(public.get_by_role("heading", name="Kommande evenemang")).to_be_visible()
    assert_accessible(public, "public project page")
