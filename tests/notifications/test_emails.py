"""Every email kind, triggered through the booking and event services, read off a real
SMTP server: recipients, language, content, and the join link only where it belongs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories as f
from tests.smtp import Received, SmtpServer
from webapp.bookings import services as bookings
from webapp.db import db, utcnow
from webapp.events import services as events
from webapp.events.models import Event, EventKind
from webapp.notifications import dispatch
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

JOIN = "https://meet.example.com/j/secret-room"


def send_all() -> dispatch.DispatchResult:
    db.session.commit()
    return dispatch.dispatch_due()


def webinar(**fields: object) -> Event:
    return f.event(kind=EventKind.WEBINAR, online_url=JOIN, venue=None, **fields)


def body(received: Received) -> str:
    return received.part("text/plain") + received.part("text/html")


def only(server: SmtpServer, address: str) -> Received:
    got = server.to(address)
    assert len(got) == 1, [g.message["Subject"] for g in got]
    return got[0]


def test_confirmation_to_contact_and_each_participant(app, smtp_server):
    event = webinar(title="Energy webinar")
    booking = f.book(event, 2, language="en")
    db.session.commit()
    result = send_all()
    assert result.sent == 3

    contact = only(smtp_server, booking.contact_email)
    assert contact.rcpt_tos == [booking.contact_email]
    assert contact.to == f"Kontakt Person <{booking.contact_email}>"
    assert contact.message["Subject"] == "Confirmed: Energy webinar"
    text = contact.part("text/plain")
    assert "is confirmed" in text
    assert f"http://localhost/bookings/{bookings.manage_token(booking)}" in text
    assert all(p.name in text for p in booking.participants)
    assert JOIN not in body(contact), "the contact does not attend: no join link"
    assert not contact.attachments()

    for person in booking.participants:
        got = only(smtp_server, person.email)
        assert got.rcpt_tos == [person.email]
        assert person.email in got.to and booking.contact_email not in got.to
        assert got.message["Cc"] is None
        assert JOIN in got.part("text/plain") and JOIN in got.part("text/html")
        assert "/bookings/" not in body(got), "the manage link is the contact's"
        ics = got.calendar()
        assert b"BEGIN:VCALENDAR" in ics and b"METHOD:PUBLISH" in ics
        assert JOIN.encode() in ics

    # Reminders and the directory's invitation wait for later.
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind.not_in([MessageKind.REMINDER, MessageKind.DIRECTORY_INVITATION])
        )
    ).all()
    assert {r.status for r in rows} == {MessageStatus.SENT}
    assert all(r.message_id and r.sent_at for r in rows)


def test_email_in_the_language_of_the_booking(app, smtp_server):
    event = f.event(title="Produktionsdag", venue="Science Park", city="Jönköping")
    swedish = f.book(event, 1, company=1, language="sv")
    english = f.book(event, 1, company=2, language="en")
    send_all()
    sv = only(smtp_server, swedish.contact_email)
    en = only(smtp_server, english.contact_email)
    assert sv.message["Subject"] == "Bekräftad: Produktionsdag"
    assert "Hej Kontakt Person" in sv.part("text/plain")
    assert "Science Park, Jönköping" in sv.part("text/plain")
    assert en.message["Subject"] == "Confirmed: Produktionsdag"
    assert "Hello Kontakt Person" in en.part("text/plain")
    session = event.sessions[0]
    local = session.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Stockholm"))
    # A date standing alone carries its weekday, in the booking's language.
    day = local.date()
    sv_days = ["mån", "tis", "ons", "tors", "fre", "lör", "sön"]
    en_days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert f"{sv_days[day.weekday()]} {day.day} " in sv.part("text/plain")
    assert f"{en_days[day.weekday()]} {day.day} " in en.part("text/plain")
    assert local.strftime(" %Y %H:%M") in sv.part("text/plain")


def test_contact_who_takes_part_gets_one_email_with_the_join_link(app, smtp_server):
    event = webinar()
    booking = bookings.register(
        event.id,
        f.company_data(5),
        bookings.ContactData(name="Anna Ek", email="anna@example.se"),
        [bookings.ParticipantData(name="Anna Ek", email="Anna@example.se")],
        consent_version="test",
        language="en",
    )
    send_all()
    got = only(smtp_server, "anna@example.se")
    assert JOIN in got.part("text/plain")
    assert "/bookings/" in got.part("text/plain")
    assert got.calendar().startswith(b"BEGIN:VCALENDAR")
    assert len(smtp_server.received) == 1
    assert booking.status.value == "confirmed"


def test_waitlisted_then_promoted(app, smtp_server):
    event = webinar(capacity=1)
    first = f.book(event, 1, company=1, language="en")
    waiting = f.book(event, 1, company=2, language="en")
    send_all()
    got = only(smtp_server, waiting.contact_email)
    assert got.message["Subject"].startswith("Waiting list:")
    assert JOIN not in body(got)
    assert not smtp_server.to(waiting.participants[0].email), "participants wait silently"

    smtp_server.received.clear()
    bookings.cancel(first.id)
    send_all()
    promoted = only(smtp_server, waiting.contact_email)
    assert promoted.message["Subject"].startswith("A place opened up:")
    person = only(smtp_server, waiting.participants[0].email)
    assert person.message["Subject"].startswith("Confirmed:")
    assert JOIN in body(person)
    cancelled = only(smtp_server, first.contact_email)
    assert cancelled.message["Subject"].startswith("Registration cancelled:")
    assert JOIN not in body(cancelled)
    told = only(smtp_server, first.participants[0].email)
    assert "has been cancelled" in told.part("text/plain")
    assert JOIN not in body(told)


def test_pending_approved_and_declined(app, smtp_server):
    event = webinar(requires_approval=True)
    chosen = f.book(event, 1, company=1, language="en")
    other = f.book(event, 1, company=2, language="en")
    send_all()
    for booking in (chosen, other):
        got = only(smtp_server, booking.contact_email)
        assert got.message["Subject"].startswith("Registration received:")
        assert JOIN not in body(got)
    smtp_server.received.clear()

    bookings.approve(chosen.id)
    bookings.decline(other.id)
    send_all()
    approved = only(smtp_server, chosen.contact_email)
    assert approved.message["Subject"].startswith("You have a place:")
    assert JOIN in body(only(smtp_server, chosen.participants[0].email))
    declined = only(smtp_server, other.contact_email)
    assert declined.message["Subject"].startswith("Not selected this time:")
    assert JOIN not in body(declined)
    assert not smtp_server.to(other.participants[0].email)


def test_moved_to_waiting_list_tells_contact_and_confirmed_participants(app, smtp_server):
    event = f.event()
    booking = f.book(event, 1, language="en")
    send_all()
    smtp_server.received.clear()
    bookings.move_to_waiting_list(booking.id)
    send_all()
    assert only(smtp_server, booking.contact_email).message["Subject"].startswith("Waiting list")
    person = only(smtp_server, booking.participants[0].email)
    assert "no longer confirmed" in person.part("text/plain")


def test_added_and_removed_participants_hear_about_their_own_place(app, smtp_server):
    event = webinar()
    booking = f.book(event, 1, language="en")
    send_all()
    smtp_server.received.clear()
    added = bookings.add_participants(booking.id, f.people(1, "added"))
    send_all()
    got = only(smtp_server, added[0].email)
    assert got.message["Subject"].startswith("Confirmed:") and JOIN in body(got)
    assert len(smtp_server.received) == 1

    smtp_server.received.clear()
    bookings.remove_participant(booking.id, added[0].id)
    send_all()
    removed = only(smtp_server, added[0].email)
    assert "Your place" in removed.part("text/plain") and JOIN not in body(removed)
    assert len(smtp_server.received) == 1


def test_event_changed_goes_to_everyone_booked_with_a_new_calendar(app, smtp_server):
    event = webinar(capacity=1)
    confirmed = f.book(event, 1, company=1, language="en")
    waiting = f.book(event, 1, company=2, language="en")
    send_all()
    smtp_server.received.clear()

    for session in event.sessions:
        session.starts_at += timedelta(hours=2)
        session.ends_at += timedelta(hours=2)
    events.record_change(event, times_changed=True, place_changed=False)
    send_all()
    for address in (confirmed.contact_email, waiting.contact_email):
        got = only(smtp_server, address)
        assert got.message["Subject"].startswith("Changed:")
        assert "The times have changed." in got.part("text/plain")
        assert JOIN not in body(got)
    person = only(smtp_server, confirmed.participants[0].email)
    ics = person.calendar().replace(b"\r\n ", b"")  # unfolded
    assert b"SEQUENCE:1" in ics and JOIN not in body(person)
    # The new file replaces the calendar entry: an attendee's keeps the join link.
    assert JOIN.encode() in ics
    assert not smtp_server.to(waiting.participants[0].email)


def test_event_cancelled(app, smtp_server):
    event = webinar()
    booking = f.book(event, 1, language="en")
    send_all()
    smtp_server.received.clear()
    events.cancel_event(event.id)
    send_all()
    contact = only(smtp_server, booking.contact_email)
    assert contact.message["Subject"].startswith("Cancelled:")
    person = only(smtp_server, booking.participants[0].email)
    assert b"STATUS:CANCELLED" in person.calendar()
    assert JOIN not in body(person) and JOIN not in body(contact)
    assert JOIN.encode() not in person.calendar()
    reminders = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER)
    ).all()
    assert reminders and {r.status for r in reminders} == {MessageStatus.CANCELLED}


def test_reminder_to_each_participant_with_the_join_link(app, smtp_server):
    event = webinar(reminder_offsets=[60])
    booking = f.book(event, 2, language="en")
    send_all()
    smtp_server.received.clear()
    # Nothing is due yet; an hour before the session, both reminders go.
    assert send_all().claimed == 0
    result = dispatch.dispatch_due(event.starts_at - timedelta(minutes=59))
    assert result.sent == 2
    for person in booking.participants:
        got = only(smtp_server, person.email)
        assert got.message["Subject"].startswith("Reminder:")
        assert JOIN in body(got) and "/bookings/" not in body(got)
        assert not got.attachments()
    assert not smtp_server.to(booking.contact_email)


def test_follow_up_from_the_organiser(app, smtp_server):
    from webapp.accounts import services as accounts
    from webapp.accounts.models import Role
    from webapp.notifications import services

    event = webinar()
    booking = f.book(event, 2, language="en")
    send_all()
    smtp_server.received.clear()
    user = accounts.create_user("org@example.se", "Org", "a long password")
    accounts.add_member(event.organisation_id, user, Role.ORGANISER)
    count = services.queue_follow_up(
        user, event.id, text="Slides are online.", feedback_url="https://forms.example/x"
    )
    assert count == 2
    assert services.queue_follow_up(user, event.id, text="again") == 0
    send_all()
    for person in booking.participants:
        got = only(smtp_server, person.email)
        assert got.message["Subject"].startswith("Thank you for taking part")
        assert "Slides are online." in got.part("text/plain")
        assert "https://forms.example/x" in got.part("text/html")
        assert JOIN not in body(got)


def test_nothing_is_sent_without_a_mail_server(app, smtp_server):
    app.config["MAIL_SUPPRESS_SEND"] = True
    f.book(f.event(), 1)
    assert send_all().claimed == 0
    assert not smtp_server.received
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses and set(statuses) == {MessageStatus.PENDING}
    assert utcnow()


def test_a_corrected_address_gets_the_reminders_not_yet_sent(app, smtp_server):
    event = webinar(reminder_offsets=[60])
    booking = f.book(event, 1, language="en")
    send_all()
    person = booking.participants[0]
    bookings.update_participant(
        booking.id,
        person.id,
        bookings.ParticipantData(name="Anna Rättad", email="anna.rattad@example.se"),
    )
    db.session.commit()
    smtp_server.received.clear()
    dispatch.dispatch_due(event.starts_at - timedelta(minutes=59))
    got = only(smtp_server, "anna.rattad@example.se")
    assert got.message["Subject"].startswith("Reminder")
    assert "Anna Rättad" in got.to
