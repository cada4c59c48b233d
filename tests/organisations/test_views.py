"""Organisation pages through HTTP with CSRF on: messages on fields, nothing half-changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import make_app
from webapp.db import db
from webapp.organisations import services
from webapp.organisations.models import Organisation, Project, Role


@pytest.fixture
def lead(app, client):
    org = f.organisation("Teknikparken")
    admin = h.user(org, Role.ADMIN)
    db.session.commit()
    h.login_session(client, admin)
    return org


def _settings(org: Organisation, **changes: str) -> dict[str, str]:
    return {
        "name": org.name,
        "slug": org.slug,
        "country": "SE",
        "county": "14",
        "website": "",
        "contact_email": "",
        "reply_to": "",
        "sender_name": "",
        "description": "",
        **changes,
    }


def test_bad_settings_are_shown_on_their_field_and_change_nothing(client, lead):
    taken = f.organisation("Annan")
    db.session.commit()
    url = f"/organisers/organisations/{lead.id}/settings"
    for slug in ("med mellanslag", "åäö", taken.slug):
        response = h.post_form(client, url, _settings(lead, slug=slug, name="Nytt namn"))
        assert response.status_code == 422
        assert 'id="slug-error"' in response.text
    response = h.post_form(client, url, _settings(lead, website="ftp://x", reply_to="nej"))
    assert response.status_code == 422
    assert 'id="website-error"' in response.text and 'id="reply_to-error"' in response.text
    db.session.expire_all()
    assert db.session.get(Organisation, lead.id).name == "Teknikparken"


def test_settings_change_and_old_feed_urls_redirect(client, lead):
    old = lead.slug
    url = f"/organisers/organisations/{lead.id}/settings"
    response = h.post_form(
        client, url, _settings(lead, slug="tp-vast", sender_name="TP Event", reply_to="Svar@TP.se")
    )
    assert response.status_code == 303
    db.session.expire_all()
    org = db.session.get(Organisation, lead.id)
    assert (org.slug, org.email_sender_name, org.email_reply_to) == (
        "tp-vast",
        "TP Event",
        "svar@tp.se",
    )
    moved = client.get(f"/feeds/organisations/{old}.ics?lang=en")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/feeds/organisations/tp-vast.ics?lang=en")
    assert client.get("/feeds/organisations/tp-vast.ics").status_code == 200
    # The list, the feed and the embed (a snippet pasted on another site before the change).
    for path in ("/", "/feeds/events.ics", "/embed/events"):
        moved = client.get(f"{path}?organisation={old}&kind=webinar")
        assert moved.status_code == 301
        assert "organisation=tp-vast" in moved.headers["Location"]
        assert "kind=webinar" in moved.headers["Location"]


def test_privacy_notice_versions_and_the_booking_records_its_own(client, lead):
    url = f"/organisers/organisations/{lead.id}/privacy-notice"
    response = h.post_form(
        client,
        url,
        {"text_sv": "Ny svensk text", "text_en": ""},
        f"/organisers/organisations/{lead.id}/settings",
    )
    assert response.status_code == 422 and 'id="text_en-error"' in response.text
    response = h.post_form(
        client,
        url,
        {"text_sv": "Ny svensk text", "text_en": "New text"},
        f"/organisers/organisations/{lead.id}/settings",
    )
    assert response.status_code == 303
    notice = services.current_notice(lead.id)
    assert notice.version == 2
    # A company registers and agrees to version 2: shown on the form, recorded, readable.
    event = f.event(lead, capacity=10)
    db.session.commit()
    page = client.get(f"/events/{event.id}/register")
    assert "Ny svensk text" in page.text
    booking = f.book(event, 1, company=1)
    booking.privacy_notice_id, booking.consent_version = notice.id, "2"
    db.session.commit()
    services.update_privacy_notice(h.user(lead, Role.ADMIN), lead.id, "v3", "v3")
    db.session.commit()
    detail = client.get(f"/organisers/bookings/{booking.id}")
    assert f"/organisers/privacy-notices/{notice.id}" in detail.text
    text = client.get(f"/organisers/privacy-notices/{notice.id}").text
    assert "Ny svensk text" in text and "New text" in text


def test_project_form_bad_input_and_public_page(client, lead):
    url = f"/organisers/organisations/{lead.id}/projects/new"
    data = {
        "name": "Grön omställning",
        "slug": "gron",
        "funder": "Tillväxtverket",
        "funding_programme": "ERUF",
        "funder_reference": "20201234",
        "starts_on": "2027-01-01",
        "ends_on": "2026-12-31",
        "description": "",
        "funding_statement": "Medfinansieras av Europeiska unionen",
        "status": "active",
    }
    response = h.post_form(client, url, data)
    assert response.status_code == 422 and 'id="ends_on-error"' in response.text
    response = h.post_form(client, url, {**data, "starts_on": "2027-13-45"})
    assert response.status_code == 422 and "ÅÅÅÅ-MM-DD" in response.text
    assert db.session.scalars(select(Project)).first() is None
    response = h.post_form(client, url, {**data, "starts_on": "2026-01-01"})
    assert response.status_code == 303
    project = db.session.scalars(select(Project)).one()
    f.event(lead, project=project, title="Cirkulära affärsmodeller")
    db.session.commit()
    page = client.get("/projects/gron")
    assert page.status_code == 200
    assert "Medfinansieras av Europeiska unionen" in page.text
    assert "Cirkulära affärsmodeller" in page.text
    assert "/feeds/projects/gron.ics" in page.text
    # The snippet to show the project's events on another website, filtered by the project.
    assert "/embed/events?project=gron" in page.text
    assert client.get("/projects/finns-inte").status_code == 404


def test_partner_invitation_bad_input_gets_a_message(client, lead):
    project = f.project(lead)
    partner = f.organisation("Partnern")
    db.session.commit()
    url = f"/organisers/projects/{project.id}/partners"
    for slug in ("finns-inte", lead.slug):
        response = h.post_form(
            client, url, {"organisation": slug}, f"/organisers/projects/{project.id}"
        )
        assert response.status_code == 422 and 'id="organisation-error"' in response.text
    ok = h.post_form(
        client, url, {"organisation": partner.slug}, f"/organisers/projects/{project.id}"
    )
    assert ok.status_code == 303
    again = h.post_form(
        client, url, {"organisation": partner.slug}, f"/organisers/projects/{project.id}"
    )
    assert again.status_code == 422 and "redan inbjuden" in again.text


def test_a_deactivated_members_session_ends_at_once(app, client, lead):
    member = h.user(lead, Role.ORGANISER)
    db.session.commit()
    theirs = app.test_client()
    h.login_session(theirs, member)
    assert theirs.get("/organisers/").status_code == 200
    members = client.get(f"/organisers/organisations/{lead.id}/members")
    assert "Senaste inloggning" in members.text and "Aldrig" in members.text
    response = h.post_form(
        client,
        f"/organisers/organisations/{lead.id}/members/{member.id}/deactivate",
        {},
        f"/organisers/organisations/{lead.id}/members",
    )
    assert response.status_code == 303
    gone = theirs.get("/organisers/")
    assert gone.status_code == 302 and "/organisers/login" in gone.headers["Location"]


def test_public_base_url_is_required_in_production_and_followed_in_development(app, database_url):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        make_app(database_url, ENV_NAME="production", PUBLIC_BASE_URL=None)
    development = make_app(database_url, PUBLIC_BASE_URL=None)
    org = f.organisation("Värd")
    db.session.commit()
    try:
        page = development.test_client().get(
            f"/?organisation={org.slug}", base_url="http://traffpunkt.test:8123"
        )
    finally:
        with development.app_context():
            db.engine.dispose()
    assert f"http://traffpunkt.test:8123/feeds/organisations/{org.slug}.ics" in page.text


def test_dashboard_shows_what_needs_the_organiser_in_constant_queries(client, lead, count_queries):
    from sqlalchemy import update

    from webapp.notifications.models import MessageStatus, OutboxMessage

    trip = f.event(lead, capacity=2, requires_approval=True, title="Studieresa Hamburg")
    full = f.event(lead, capacity=1, title="Frukostmöte")
    f.book(trip, 1, company=1)
    f.book(full, 1, company=2)
    f.book(full, 1, company=3)  # waitlisted
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.event_id == full.id)
        .values(status=MessageStatus.FAILED)
    )
    f.project(lead).name = "Grön omställning"
    db.session.commit()
    with count_queries() as statements:
        page = client.get("/organisers/")
    assert page.status_code == 200
    assert "1 bokning väntar på besked" in page.text
    assert "kunde inte skickas" in page.text
    assert "Grön omställning" in page.text
    waiting = re.search(
        r"Frukostmöte</a>.*?</td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>"
        r"\s*<td>(\d+)</td>",
        page.text,
        re.S,
    )
    assert waiting and waiting.group(1) == "1"  # one booking on its waiting list
    first = len(statements)
    for _ in range(5):
        f.book(f.event(lead, requires_approval=True), 1, company=4)
    db.session.commit()
    with count_queries() as statements:
        client.get("/organisers/")
    assert len(statements) == first


def test_lead_takes_a_removed_partners_event_out_of_the_project(client, lead):
    partner = f.organisation("Partnern")
    project = f.project(lead, partners=[partner])
    event = f.event(partner, project=project, title="Partnerns webbinarium")
    db.session.commit()
    services.remove_partner(h.user(lead, Role.ADMIN), project.id, partner.id)
    db.session.commit()
    page = client.get(f"/organisers/projects/{project.id}")
    assert "Partnerns webbinarium" in page.text
    response = h.post_form(
        client,
        f"/organisers/events/{event.id}/leave-project",
        {},
        f"/organisers/projects/{project.id}",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(event), event.id).project_id is None
    assert db.session.get(type(event), event.id).organisation_id == partner.id
