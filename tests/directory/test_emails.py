"""The invitation through the real SMTP server: once per company, in the booking's
language, with an edit link that opens the profile."""

from __future__ import annotations

from datetime import timedelta

from tests import factories as f
from webapp.db import db
from webapp.directory import services
from webapp.notifications import dispatch


def _invitations(smtp_server, address: str) -> list:
    return [
        r
        for r in smtp_server.to(address)
        if "företagskatalogen" in str(r.message["Subject"]).lower()
        or "company directory" in str(r.message["Subject"]).lower()
    ]


def _after(event):
    return event.ends_at + timedelta(minutes=1)


def test_the_invitation_is_emailed_exactly_once_per_company(client, world, smtp_server):
    address = world.booking.contact_email
    # Not beside the confirmation: once the event is over.
    dispatch.dispatch_due()
    assert _invitations(smtp_server, address) == []
    dispatch.dispatch_due(_after(world.event))
    # More confirmed bookings of the same company, at this and another organisation.
    f.book(f.event(world.org), 1, company=1)
    f.book(f.event(world.other), 1, company=1)
    db.session.commit()
    far = _after(world.event) + timedelta(days=400)
    dispatch.dispatch_due(far)
    dispatch.dispatch_due(far)
    [received] = _invitations(smtp_server, address)
    assert received.message["Subject"] == "Visa ert företag i företagskatalogen"
    text = received.part("text/plain")
    link = services.edit_token(world.profile)
    assert f"http://localhost/directory/profile/{link}" in text
    words = " ".join(text.split())
    assert "Klusterdagen" in words and "ingenting visas förrän ni publicerar" in words
    assert link in received.part("text/html")
    # The link opens the company's own page.
    page = client.get(f"/directory/profile/{link}")
    assert page.status_code == 200 and world.booking.company.name in page.text


def test_an_english_booking_gets_an_english_invitation(world, smtp_server):
    booking = f.book(world.event, 1, company=7, language="en")
    db.session.commit()
    dispatch.dispatch_due(_after(world.event))
    [received] = _invitations(smtp_server, booking.contact_email)
    assert received.message["Subject"] == "Show your company in the company directory"
    assert "nothing is shown until you publish" in " ".join(received.part("text/plain").split())


def test_a_booking_cancelled_before_its_event_sends_no_invitation_and_the_next_one_does(
    world, smtp_server
):
    from webapp.bookings import services as bookings

    first_event = f.event(world.org)
    cancelled = f.book(first_event, 1, company=8)
    db.session.commit()
    bookings.cancel(cancelled.id)
    db.session.commit()
    dispatch.dispatch_due(_after(first_event) + timedelta(days=1))
    assert _invitations(smtp_server, cancelled.contact_email) == []
    # The company takes part later: now it is invited, once.
    later = f.event(world.org)
    taken = f.book(later, 1, company=8)
    db.session.commit()
    dispatch.dispatch_due(_after(later) + timedelta(days=1))
    dispatch.dispatch_due(_after(later) + timedelta(days=2))
    [received] = _invitations(smtp_server, taken.contact_email)
    link = services.edit_token(services.profile_of_company(taken.company_id))
    assert link in received.part("text/plain")
