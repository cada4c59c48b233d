"""Organisers' messages to participants: who is in each group, the preview and its count,
one email per recipient through the real SMTP server in the booking's language, the list on
the emails tab, and refusals that store nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.smtp import SmtpServer
from webapp.accounts.models import Role, User
from webapp.bookings import services as bookings
from webapp.bookings.models import Attendance, Booking, BookingStatus
from webapp.db import db
from webapp.events.models import Event, EventKind
from webapp.notifications import dispatch, messages
from webapp.notifications.models import Audience, Message, MessageKind, OutboxMessage
from webapp.organisations.audit import AuditEntry
from webapp.organisations.services import NotAllowed


@dataclass
class World:
    """An event with a booking in every status, and attendance taken at its first session."""

    event: Event
    organiser: User
    viewer: User
    shared: Booking  # confirmed, sv; its one participant shares the contact's address
    english: Booking  # confirmed, en, two participants
    unmarked: Booking  # confirmed, sv, its participant's attendance not marked
    waiting: Booking
    declined: Booking
    pending: Booking
    cancelled: Booking


def _register(event: Event, company: int, n: int = 1, *, language: str = "sv", same=False):
    people = f.people(n)
    contact = people[0].email if same else f"contact{company}@example.se"
    return bookings.register(
        event.id,
        f.company_data(company),
        bookings.ContactData(name=f"Kontakt {company}", email=contact),
        people,
        consent_version="test",
        language=language,
    )


@pytest.fixture
def world(app) -> World:
    org = f.organisation("Teknikparken")
    organiser = h.user(org, Role.ORGANISER)
    viewer = h.user(org, Role.VIEWER)
    event = f.event(org, kind=EventKind.WORKSHOP_SERIES, sessions=2, capacity=4)
    shared = _register(event, 1, same=True)
    english = _register(event, 2, 2, language="en")
    cancelled = _register(event, 3)
    bookings.cancel(cancelled.id)
    unmarked = _register(event, 4)
    waiting = _register(event, 5)  # the event is full now
    declined = _register(event, 6)
    bookings.decline(declined.id)
    event.requires_approval = True
    pending = _register(event, 7)
    first = event.sessions[0]
    db.session.add_all(
        [
            Attendance(participant=shared.participants[0], session=first, present=True),
            Attendance(participant=english.participants[0], session=first, present=True),
            Attendance(participant=english.participants[1], session=first, present=False),
        ]
    )
    db.session.commit()
    assert [b.status for b in (shared, english, unmarked, waiting, declined, pending)] == [
        BookingStatus.CONFIRMED,
        BookingStatus.CONFIRMED,
        BookingStatus.CONFIRMED,
        BookingStatus.WAITLISTED,
        BookingStatus.DECLINED,
        BookingStatus.PENDING,
    ]
    return World(
        event, organiser, viewer, shared, english, unmarked, waiting, declined, pending, cancelled
    )


def _addresses(bookings_: list[Booking]) -> set[str]:
    got = set()
    for booking in bookings_:
        got.add(booking.contact_email)
        got.update(p.email for p in booking.active_participants)
    return got


def test_each_group_has_exactly_its_people(world):
    w = world
    first = w.event.sessions[0].id

    def who(audience: Audience, session: int | None = None) -> list[str]:
        return [r.email for r in messages.recipients(w.event, audience, session)]

    confirmed = who(Audience.CONFIRMED)
    # The participant who is also the contact gets one email, the contact's.
    assert len(confirmed) == len(set(confirmed)) == 1 + 3 + 2
    assert set(confirmed) == _addresses([w.shared, w.english, w.unmarked])
    assert set(who(Audience.WAITLISTED)) == _addresses([w.waiting])
    assert set(who(Audience.DECLINED)) == _addresses([w.declined])
    assert set(who(Audience.PENDING)) == _addresses([w.pending])
    everyone = who(Audience.EVERYONE)
    assert len(everyone) == 6 + 2 + 2 + 2
    assert not set(everyone) & _addresses([w.cancelled])
    assert set(who(Audience.ATTENDED, first)) == {
        w.shared.participants[0].email,
        w.english.participants[0].email,
    }
    # Marked absent, or not marked at all.
    assert set(who(Audience.NOT_ATTENDED, first)) == {
        w.english.participants[1].email,
        w.unmarked.participants[0].email,
    }
    # Nobody was marked at the second session yet.
    assert who(Audience.ATTENDED, w.event.sessions[1].id) == []
    with pytest.raises(messages.UnknownSession):
        messages.recipients(w.event, Audience.ATTENDED, None)


def test_one_email_per_recipient_in_the_bookings_language(world, smtp_server: SmtpServer):
    w = world
    draft = messages.Draft(
        Audience.CONFIRMED,
        subject_sv="Ta med dator",
        body_sv="Hej!\n\nTa med en dator på torsdag.",
        subject_en="Bring a laptop",
        body_en="Hello!\n\nBring a laptop on Thursday.",
    )
    message = messages.send(w.organiser, w.event.id, draft)
    db.session.commit()
    assert message.recipient_count == 6
    dispatch.dispatch_due()
    got = [
        r
        for r in smtp_server.received
        if r.message["Subject"] in ("Ta med dator", "Bring a laptop")
    ]
    assert sorted(r.rcpt_tos[0] for r in got) == sorted(
        _addresses([w.shared, w.english, w.unmarked])
    )
    for received in got:
        address = received.rcpt_tos[0]
        english = address in _addresses([w.english])
        text = received.part("text/plain")
        assert received.message["Subject"] == ("Bring a laptop" if english else "Ta med dator")
        assert ("Bring a laptop on Thursday." in text) is english
        assert ("Ta med en dator på torsdag." in text) is not english
        contact = address in {
            w.shared.contact_email,
            w.english.contact_email,
            w.unmarked.contact_email,
        }
        booking = next(b for b in (w.shared, w.english, w.unmarked) if address in _addresses([b]))
        link = f"/bookings/{bookings.manage_token(booking)}"
        assert (link in text) is contact, address
    # Sent messages show their delivery on the emails tab (viewers may read it).
    listed = messages.sent_messages(w.viewer, w.event.id)
    assert [(s.message.id, dict(s.counts)) for s in listed] == [(message.id, {"sent": 6})]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "message.sent")).one()
    assert entry.user_id == w.organiser.id and entry.event_id == w.event.id


def test_the_only_language_written_goes_to_everyone(world, smtp_server: SmtpServer):
    draft = messages.Draft(Audience.WAITLISTED, subject_sv="Kö", body_sv="Ni står i kö.")
    messages.send(world.organiser, world.event.id, draft)
    english = messages.Draft(Audience.PENDING, subject_en="Queue", body_en="You wait.")
    messages.send(world.organiser, world.event.id, english)
    db.session.commit()
    dispatch.dispatch_due()
    assert smtp_server.to(world.waiting.contact_email)[-1].message["Subject"] == "Kö"
    assert smtp_server.to(world.pending.contact_email)[-1].message["Subject"] == "Queue"


def test_viewers_may_not_send_and_empty_groups_are_refused(world):
    draft = messages.Draft(Audience.CONFIRMED, subject_sv="Hej", body_sv="Hej")
    with pytest.raises(NotAllowed):
        messages.send(world.viewer, world.event.id, draft)
    with pytest.raises(NotAllowed):
        messages.preview(world.viewer, world.event.id, draft)
    empty = messages.Draft(
        Audience.ATTENDED, session_id=world.event.sessions[1].id, subject_sv="x", body_sv="y"
    )
    with pytest.raises(messages.NoRecipients):
        messages.send(world.organiser, world.event.id, empty)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Message.id))) == 0


def _compose(client, event: Event, **fields: str):
    url = f"/organisers/events/{event.id}/messages/new"
    data = {
        "audience": "confirmed",
        "session": "",
        "subject_sv": "Ta med dator",
        "body_sv": "Ta med en dator.",
        "subject_en": "",
        "body_en": "",
        **fields,
    }
    return client.post(url, data={**data, "csrf_token": csrf_from(client.get(url).text)})


def _organiser_rows() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.ORGANISER_MESSAGE)
    )


def test_preview_shows_the_count_and_one_email_then_sends_on_confirmation(client, world):
    h.login_session(client, world.organiser)
    page = _compose(
        client, world.event, audience="not_attended", session=str(world.event.sessions[0].id)
    )
    assert page.status_code == 200
    assert "2 recipients get the message" in page.text or "2 mottagare får meddelandet" in page.text
    assert "Ta med en dator." in page.text  # the first recipient's email, rendered
    assert 'name="confirmed" value="yes"' in page.text
    assert db.session.scalar(select(func.count(Message.id))) == 0 and _organiser_rows() == 0

    sent = _compose(
        client,
        world.event,
        audience="not_attended",
        session=str(world.event.sessions[0].id),
        confirmed="yes",
    )
    assert sent.status_code == 303
    message = db.session.scalars(select(Message)).one()
    assert message.recipient_count == 2 == _organiser_rows()
    tab = client.get(f"/organisers/events/{world.event.id}/outbox")
    assert "Ta med dator" in tab.text
    # Back in the browser and "Send" again: refused, nothing more queued.
    again = _compose(
        client,
        world.event,
        audience="not_attended",
        session=str(world.event.sessions[0].id),
        confirmed="yes",
    )
    assert again.status_code == 422
    assert "not sent twice" in again.text or "skickas inte två gånger" in again.text
    assert db.session.scalar(select(func.count(Message.id))) == 1 and _organiser_rows() == 2


BAD = [
    ({"audience": ""}, "audience"),
    ({"audience": "nobody"}, "audience"),
    ({"subject_sv": "", "body_sv": ""}, "subject_sv"),
    ({"subject_sv": ""}, "subject_sv"),
    ({"body_sv": ""}, "body_sv"),
    ({"subject_en": "Only a subject"}, "body_en"),
    ({"subject_sv": "x" * 201}, "subject_sv"),
    ({"audience": "attended"}, "session"),
    ({"audience": "attended", "session": "999999"}, "session"),
    # Nobody attended the second session: no recipients.
    ({"audience": "attended", "session": "{second}"}, "audience"),
]


@pytest.mark.parametrize("confirmed", ["", "yes"])
def test_bad_input_gets_a_message_on_its_field_and_stores_nothing(client, world, confirmed):
    h.login_session(client, world.organiser)
    second = str(world.event.sessions[1].id)
    wrong = []
    for fields, field_id in BAD:
        data = {k: v.replace("{second}", second) for k, v in fields.items()}
        response = _compose(client, world.event, confirmed=confirmed, **data)
        if response.status_code != 422 or f'id="{field_id}-error"' not in response.text:
            wrong.append((fields, response.status_code))
    assert not wrong
    assert db.session.scalar(select(func.count(Message.id))) == 0 and _organiser_rows() == 0


def test_the_emails_tab_lists_messages_in_constant_queries(client, world, count_queries):
    h.login_session(client, world.organiser)
    url = f"/organisers/events/{world.event.id}/outbox"
    draft = messages.Draft(Audience.EVERYONE, subject_sv="Hej", body_sv="Hej")
    messages.send(world.organiser, world.event.id, draft)
    db.session.commit()
    client.get(url)
    with count_queries() as one:
        client.get(url)
    for audience in (Audience.CONFIRMED, Audience.DECLINED, Audience.PENDING):
        messages.send(world.organiser, world.event.id, messages.Draft(audience, "Hej", "Hej"))
    db.session.commit()
    client.get(url)  # as before the first count: what the test's own session had expired
    with count_queries() as four:
        page = client.get(url)
    assert page.text.count("<td>Hej") == 4
    assert len(four) == len(one)
