"""Practical information (what to bring, how to get there) reaches people: in the
confirmation and every reminder, in the booking's language when given in it, and on the
booking's own page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests import factories as f
from tests.smtp import SmtpServer
from webapp.bookings.services import manage_token
from webapp.db import db, utcnow
from webapp.notifications import dispatch
from webapp.notifications.models import MessageKind, OutboxMessage

SV = "Ta med skyddsskor.\n\nParkering bakom huset."
EN = "Bring safety shoes."


def _send_reminders_now() -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.REMINDER)
        .values(next_attempt_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    dispatch.dispatch_due()


def test_in_the_confirmation_and_every_reminder_in_the_bookings_language(
    app, smtp_server: SmtpServer
):
    event = f.event(practical_info=SV, practical_info_en=EN, reminder_offsets=[1440, 60])
    swedish = f.book(event, 1, company=1, language="sv")
    english = f.book(event, 1, company=2, language="en")
    db.session.commit()
    dispatch.dispatch_due()
    _send_reminders_now()
    for booking, text, other in ((swedish, "Ta med skyddsskor.", EN), (english, EN, "skyddsskor")):
        person = booking.participants[0].email
        got = smtp_server.to(person)
        subjects = [g.message["Subject"] for g in got]
        assert len(got) == 3, subjects  # the confirmation and two reminders
        for received in got:
            body = received.part("text/plain") + received.part("text/html")
            assert text in body and other not in body, received.message["Subject"]
        contact = smtp_server.to(booking.contact_email)[0]
        assert text in contact.part("text/plain")


def test_english_falls_back_to_the_swedish_text(app, smtp_server: SmtpServer):
    event = f.event(practical_info=SV)
    booking = f.book(event, 1, language="en")
    db.session.commit()
    dispatch.dispatch_due()
    assert "Parkering bakom huset." in smtp_server.to(booking.contact_email)[0].part("text/plain")


def test_on_the_booking_page(app, client):
    event = f.event(practical_info=SV, practical_info_en=EN)
    booking = f.book(event, 1)
    db.session.commit()
    page = client.get(f"/bookings/{manage_token(booking)}")
    assert "Praktisk information" in page.text and "Parkering bakom huset." in page.text
