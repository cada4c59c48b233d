"""Emails in the booking's language carry the event's English texts where it has them,
the Swedish otherwise (read off a real SMTP server)."""

from __future__ import annotations

from datetime import timedelta

from tests import factories as f
from tests.notifications.test_emails import body, only, send_all
from webapp.db import db
from webapp.notifications import dispatch


def _event(**fields: object):
    values = dict(
        title="Vätgasdagen",
        title_en="Hydrogen day",
        venue="Kongresshallen",
        venue_en="The Congress Hall",
        city="Kalmar",
        reminder_offsets=[60],
    )
    values.update(fields)
    event = f.event(**values)
    event.sessions[0].title = "Förmiddag"
    event.sessions[0].title_en = "Morning"
    db.session.commit()
    return event


def test_english_booking_gets_the_english_title_swedish_booking_the_swedish(app, smtp_server):
    event = _event()
    english = f.book(event, 1, company=1, language="en")
    swedish = f.book(event, 1, company=2, language="sv")
    send_all()

    en = only(smtp_server, english.contact_email)
    assert en.message["Subject"] == "Confirmed: Hydrogen day"
    assert "Hydrogen day" in en.part("text/plain") and "Hydrogen day" in en.part("text/html")
    assert "The Congress Hall, Kalmar" in en.part("text/plain")
    assert "Morning" in en.part("text/plain")
    assert "Vätgasdagen" not in body(en) and "Kongresshallen" not in body(en)
    participant = only(smtp_server, english.participants[0].email)
    ics = participant.calendar().replace(b"\r\n ", b"").decode()
    assert "SUMMARY:Hydrogen day: Morning" in ics
    assert "LOCATION:The Congress Hall\\, Kalmar" in ics
    assert [n for n in participant.attachments() if n.endswith(".ics")] == ["hydrogen-day.ics"]

    sv = only(smtp_server, swedish.contact_email)
    assert sv.message["Subject"] == "Bekräftad: Vätgasdagen"
    assert "Kongresshallen, Kalmar" in sv.part("text/plain")
    assert "Hydrogen" not in body(sv) and "Congress Hall" not in body(sv)
    assert "Hydrogen" not in only(smtp_server, swedish.participants[0].email).calendar().decode()


def test_english_reminders_carry_the_english_title(app, smtp_server):
    event = _event()
    english = f.book(event, 2, company=1, language="en")
    swedish = f.book(event, 1, company=2, language="sv")
    send_all()
    smtp_server.received.clear()
    result = dispatch.dispatch_due(event.starts_at - timedelta(minutes=59))
    assert result.sent == 3
    for person in english.participants:
        got = only(smtp_server, person.email)
        assert got.message["Subject"].startswith("Reminder: Hydrogen day on ")
        assert "Session: Morning" in got.part("text/plain")
    got = only(smtp_server, swedish.participants[0].email)
    assert "Vätgasdagen" in got.message["Subject"]
    assert "Hydrogen" not in body(got)


def test_english_email_falls_back_to_swedish_where_there_is_no_english(app, smtp_server):
    event = _event(title_en=None, venue_en="")
    event.sessions[0].title_en = None
    db.session.commit()
    english = f.book(event, 1, language="en")
    send_all()
    got = only(smtp_server, english.contact_email)
    assert got.message["Subject"] == "Confirmed: Vätgasdagen"
    assert "Hello Kontakt Person" in got.part("text/plain")
    assert "Kongresshallen, Kalmar" in got.part("text/plain")
    assert "Förmiddag" in got.part("text/plain")
