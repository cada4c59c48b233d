"""The statutory pages: privacy notices per organisation and the site's, linked from every
registration form and every email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from tests.conftest import csrf_from
from webapp.bookings import services as bookings
from webapp.bookings.models import Booking
from webapp.db import db
from webapp.notifications import rendering, unsubscribe
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage
from webapp.organisations.models import Organisation, PrivacyNotice, Project, Role

SV = {"Accept-Language": "sv"}
EN = {"Accept-Language": "en"}


def test_an_organisations_notice_page_shows_its_current_version_in_both_languages(client):
    org = f.organisation("Teknikparken", needs_retention_days=14, contact_email="dpo@tp.example")
    db.session.add(
        PrivacyNotice(
            organisation_id=org.id, version=2, text_sv="Vi sparar lite.", text_en="We keep little."
        )
    )
    db.session.commit()
    swedish = client.get(f"/organisations/{org.slug}/privacy", headers=SV)
    assert swedish.status_code == 200
    assert "Vi sparar lite." in swedish.text and "Integritet v1" not in swedish.text
    assert "14 dagar" in swedish.text and "dpo@tp.example" in swedish.text
    english = client.get(f"/organisations/{org.slug}/privacy", headers=EN).text
    assert "We keep little." in english and "10 years" in english
    assert client.get("/organisations/no-such-org/privacy").status_code == 404
    site = client.get("/privacy", headers=EN)
    assert site.status_code == 200 and "You can ask the organiser" in site.text


def test_the_registration_form_and_every_event_email_link_the_notice(client, app):
    event = f.event()
    db.session.commit()
    url = f"/organisations/{event.organisation.slug}/privacy"
    assert url in client.get(f"/events/{event.id}/register").text
    f.book(event, 2)
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert len(rows) >= 3
    for row in rows:
        with rendering.email_context():
            email = rendering.render(row)
        assert url in email.text and url in email.html, row.kind


def test_unsubscribing_withdraws_the_contacts_opt_in_with_its_time_and_stops_the_reminder(app):
    event = f.event(reminder_offsets=[60])
    booking = bookings.register(
        event.id,
        f.company_data(1),
        bookings.ContactData(name="Kontakt", email="kontakt@example.se"),
        [bookings.ParticipantData(name="Kontakt", email="Kontakt@example.se")],
        consent_version="test",
        invitations_opt_in=True,
    )
    db.session.commit()
    participant = booking.participants[0]
    reminder = select(OutboxMessage).where(
        OutboxMessage.participant_id == participant.id, OutboxMessage.kind == MessageKind.REMINDER
    )
    assert db.session.scalars(reminder).one().status == MessageStatus.PENDING
    moment = event.starts_at - timedelta(days=3)
    unsubscribe.unsubscribe(participant.id, now=moment)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Booking, booking.id)
    assert (row.invitations_opt_in, row.invitations_withdrawn_at) == (False, moment)
    assert db.session.scalars(reminder).one().status == MessageStatus.CANCELLED


def test_admins_set_the_organisations_and_projects_retention_periods(client):
    org = f.organisation("Teknikparken")
    project = f.project(org)
    admin = h.user(org, Role.ADMIN)
    db.session.commit()
    h.login_session(client, admin)
    settings = f"/organisers/organisations/{org.id}/settings"
    token = csrf_from(client.get(settings).text)
    base = {"name": "Teknikparken", "slug": org.slug, "country": "SE", "csrf_token": token}
    bad = client.post(settings, data={**base, "needs_retention_days": "tre"}, headers=SV)
    assert bad.status_code == 422 and "Ange ett antal dagar från 1 till 3650." in bad.text
    assert client.post(settings, data={**base, "needs_retention_days": "0"}).status_code == 422
    assert client.post(settings, data={**base, "needs_retention_days": "14"}).status_code == 303
    edit = f"/organisers/projects/{project.id}/edit"
    data = {"name": project.name, "slug": project.slug, "status": "active", "csrf_token": token}
    assert client.post(edit, data={**data, "retention_years": "99"}).status_code == 422
    assert client.post(edit, data={**data, "retention_years": "7"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).needs_retention_days == 14
    assert db.session.get(Project, project.id).retention_years == 7
    assert 'value="14"' in client.get(settings).text
