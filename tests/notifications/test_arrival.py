"""Every email arrives and reads well (issue 19), read off the real SMTP server of
tests/smtp.py, which refuses lines over 1,000 octets as real servers do.

One world sends every one of the thirteen kinds; each message is checked for what any
email must be (short lines, 7-bit, the organisation's name in From, a calendar part that
parses with its charset, List-Unsubscribe where it belongs, tidy plain text, a viewport
for phones). Then: an organiser's long paragraph typed in a browser, reminders that say
whom to tell, and the one-click unsubscribe.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import icalendar
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.smtp import Received, SmtpServer
from webapp.accounts import services as accounts
from webapp.accounts.models import Role
from webapp.aid.models import AidBasis, AidScheme, EurRate
from webapp.bookings import services as bookings
from webapp.bookings.models import Participant
from webapp.db import db, utcnow
from webapp.events import services as events
from webapp.events.models import EventKind, EventSession
from webapp.notifications import account_messages, dispatch, rendering
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

ORGANISATION = "Föreningen Åsa & Öberg, Science Park"
TITLE = "Frukostmöte om AI – 'hur' & varför"
JOIN = "https://meet.example.com/j/" + "a1b2c3d4" * 12 + "?pwd=" + "Zx9" * 10
# A 5,000-character paragraph whose apostrophes grow into "&#39;" in the HTML part.
PARAGRAPH = ("Tack för att ni kom! Vi hoppas att ni fick med er något nytt, och att 'AI' nu " * 70)[
    :5000
].strip()


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", h.cheap_hasher())


def send_all(at=None) -> dispatch.DispatchResult:
    db.session.commit()
    return dispatch.dispatch_due(at)


def kind_of(received: Received) -> MessageKind:
    """The outbox kind of a received message, from its Message-ID (outbox.{row id}.…)."""
    row_id = int(re.match(r"<outbox\.(\d+)\.", received.message["Message-ID"]).group(1))
    return db.session.get(OutboxMessage, row_id).kind


def long_lines(received: Received) -> list[int]:
    return [len(line) for line in received.raw.split(b"\r\n") if len(line) > 998]


def every_kind(client: FlaskClient, smtp_server: SmtpServer) -> dict[MessageKind, list[Received]]:
    """All twenty-four kinds sent to the SMTP server, for events of ORGANISATION."""
    org = f.organisation(ORGANISATION, contact_email="hej@asa.example.se")
    admin = h.user(org, Role.ADMIN, name="Anna Admin", email="admin@asa.example.se")
    webinar = f.event(
        org,
        kind=EventKind.WEBINAR,
        online_url=JOIN,
        venue=None,
        capacity=2,
        title=TITLE,
        reminder_offsets=[60],
    )
    # The trip is de minimis aid: approving its company emails the certificate (a PDF).
    project = f.project(org)
    db.session.add_all(
        [
            EurRate(project_id=project.id, valid_from=date(2020, 1, 1), sek_per_eur=11),
            AidScheme(project_id=project.id, basis=AidBasis.PER_COMPANY, amount_sek=11000),
        ]
    )
    trip = f.event(org, project=project, requires_approval=True, title="Studieresa till Göteborg")
    first = f.book(webinar, 2, company=1, language="sv")  # confirmed, the event is full
    f.book(webinar, 2, company=2, language="en")  # waitlisted, promoted below
    chosen = f.book(trip, 1, company=3, language="sv")  # pending
    other = f.book(trip, 1, company=4, language="en")
    db.session.commit()
    bookings.approve(chosen.id)
    bookings.decline(other.id)
    # Approved and then cancelled before the trip: the aid is withdrawn, the contact told.
    bookings.cancel(bookings.approve(f.book(trip, 1, company=7, language="en").id).id)
    f.book(webinar, 1, company=5, language="sv")  # waitlisted behind
    bookings.cancel(first.id)  # cancelled; the waiting booking is promoted
    for session in webinar.sessions:
        session.starts_at += timedelta(hours=1)
        session.ends_at += timedelta(hours=1)
    events.record_change(webinar, times_changed=True, place_changed=False)
    account_messages.queue_password_reset(admin.email, admin)
    invitation = accounts.invite(admin, org.id, "kollega@asa.example.se", Role.ORGANISER)
    account_messages.queue_invitation(invitation)
    db.session.commit()
    # The company registers for the trip again: its contact is emailed the manage link.
    with pytest.raises(bookings.AlreadyBooked):
        f.book(trip, 1, company=3)
    db.session.rollback()
    bookings.send_existing_booking_link(chosen.id)
    db.session.commit()
    assert send_all().failed == 0

    # Reminders an hour before, then the thank-you typed in the browser (CRLF line ends).
    assert dispatch.dispatch_due(webinar.starts_at - timedelta(minutes=59)).sent >= 2
    h.login(client, admin)
    page = client.get(f"/organisers/events/{webinar.id}/outbox")
    response = client.post(
        f"/organisers/events/{webinar.id}/follow-up",
        data={
            "csrf_token": csrf_from(page.text),
            "text": PARAGRAPH + "\r\n\r\nVälkomna tillbaka!\r\nHälsningar, Anna",
            "feedback_url": "https://forms.example.se/utvardering",
        },
    )
    assert response.status_code == 303
    # A message of the organiser's own to everyone booked, typed in both languages.
    page = client.get(f"/organisers/events/{webinar.id}/messages/new")
    response = client.post(
        f"/organisers/events/{webinar.id}/messages/new",
        data={
            "csrf_token": csrf_from(page.text),
            "audience": "everyone",
            "subject_sv": "Nytt rum – 'B12' & mer",
            "body_sv": PARAGRAPH + "\r\n\r\nVälkomna!",
            "subject_en": "New room",
            "body_en": "We meet in B12.",
            "confirmed": "yes",
        },
    )
    assert response.status_code == 303
    assert send_all().failed == 0
    other_event = f.event(org, title="Sista")
    events.cancel_event(f.book(other_event, 1, company=6).event_id)
    assert send_all().failed == 0
    agenda_due = _meetings(org, admin)
    assert send_all().failed == 0
    assert send_all(agenda_due + timedelta(minutes=1)).failed == 0
    # Once every event is over (the webinar, the meetings' conference: which ends last
    # depends on the hour the test runs at): the company directory's invitations.
    last_end = db.session.scalar(select(func.max(EventSession.ends_at)))
    assert send_all(last_end + timedelta(minutes=1)).failed == 0

    by_kind: dict[MessageKind, list[Received]] = defaultdict(list)
    for received in smtp_server.received:
        by_kind[kind_of(received)].append(received)
    assert set(by_kind) == set(MessageKind), set(MessageKind) - set(by_kind)
    return by_kind


def _meetings(org, admin) -> datetime:
    """Meetings at a conference (webapp.meetings): a request accepted and then moved, one
    declined, one accepted and then cancelled by its requester, one open. Returns when the
    agendas are due."""
    from datetime import time

    from webapp.i18n import STOCKHOLM
    from webapp.meetings import services as meetings
    from webapp.notifications.meeting_messages import agenda_due

    day = (utcnow() + timedelta(days=30)).astimezone(STOCKHOLM).date()
    conference = f.event(
        org,
        capacity=None,
        starts_at=datetime.combine(day, time(9), STOCKHOLM),
        duration=timedelta(hours=8),
        title="Affärsdagarna",
        reminder_offsets=[],
    )
    booked = [f.book(conference, 1, company=20 + i) for i in range(3)]
    people = [b.participants[0] for b in booked]
    meetings.set_enabled(admin, conference.id, True)
    slots = meetings.generate_slots(admin, conference.id, day, time(13), time(14), 20, 2)
    for booking, person in zip(booked, people, strict=True):
        meetings.save_profile(booking, person.id, meetings.prefill(person))
    first = meetings.request(booked[0], people[0].id, people[1].id, slots[0].id, PARAGRAPH[:900])
    meetings.answer(booked[1], people[1].id, first.id, True)
    meetings.move(admin, first.id, slots[1].id, None)
    declined = meetings.request(booked[2], people[2].id, people[0].id, slots[2].id, None)
    meetings.answer(booked[0], people[0].id, declined.id, False)
    later = meetings.request(booked[2], people[2].id, people[1].id, slots[2].id, "Hej!")
    meetings.answer(booked[1], people[1].id, later.id, True)
    # Left open: a request answered before its email went out is not sent.
    meetings.request(booked[1], people[1].id, people[2].id, slots[0].id, None)
    db.session.commit()
    meetings.cancel_by_participant(booked[2], people[2].id, later.id)
    db.session.commit()
    return agenda_due(slots[1].starts_at)


def test_every_message_of_every_kind_arrives_and_reads_well(app, client, smtp_server):
    by_kind = every_kind(client, smtp_server)
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} <= {MessageStatus.SENT, MessageStatus.CANCELLED}, [
        (r.kind, r.due_at) for r in rows if r.status == MessageStatus.PENDING
    ]
    assert len(smtp_server.received) == sum(r.status == MessageStatus.SENT for r in rows)

    for kind, messages in by_kind.items():
        for got in messages:
            where = (kind, got.rcpt_tos)
            assert not long_lines(got), where
            assert got.raw.isascii(), "7-bit: nothing goes out 8bit undeclared"
            sender = got.message["From"].addresses[0]
            assert sender.addr_spec == "noreply@traffpunkt.test", where
            if kind == MessageKind.PASSWORD_RESET:
                assert sender.display_name == "Träffpunkt"
            else:
                assert sender.display_name == ORGANISATION, where
            assert got.message["Reply-To"].addresses[0].addr_spec == "hej@asa.example.se"
            assert got.message["Reply-To"].addresses[0].display_name == ORGANISATION

            unsubscribe = got.message["List-Unsubscribe"]
            if kind in (MessageKind.REMINDER, MessageKind.FOLLOW_UP):
                assert re.fullmatch(r"<http://localhost/unsubscribe/[\w-]+>", unsubscribe)
                assert got.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
                assert unsubscribe.strip("<>") in got.part("text/plain")
                assert unsubscribe.strip("<>") in got.part("text/html")
            else:
                assert unsubscribe is None and got.message["List-Unsubscribe-Post"] is None

            for part in got.message.walk():
                if part.get_content_maintype() == "text" and not part.get_filename():
                    assert part["Content-Transfer-Encoding"] == "quoted-printable"
            text = got.part("text/plain")
            assert "\n\n\n" not in text, where
            for line in text.splitlines():
                assert len(line) <= rendering.TEXT_WIDTH or " " not in line.strip(), (where, line)
            html = got.part("text/html")
            assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html

            calendars = [p for p in got.message.walk() if p.get_content_type() == "text/calendar"]
            for part in calendars:
                assert part.get_content_charset() == "utf-8"
                assert part.get_param("method") == "PUBLISH"
                assert part.get_filename().endswith(".ics")
                # Python's own parser reads the text right because the part says its charset.
                calendar = icalendar.Calendar.from_ical(part.get_content())
                assert calendar["METHOD"] == "PUBLISH"
                summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
                titles = (TITLE, "Studieresa till Göteborg", "Sista", "Affärsdagarna")
                assert all(summary.endswith(titles) for summary in summaries), summaries
    attending = [
        got for got in by_kind[MessageKind.CONFIRMED] if "Frukostm" in got.message["Subject"]
    ]
    calendars = [got.calendar() for got in attending if got.rcpt_tos[0].startswith("person")]
    assert calendars and all("Frukostmöte" in c.decode("utf-8") for c in calendars)

    (invitation,) = by_kind[MessageKind.INVITATION]
    footer = " ".join(invitation.part("text/plain").split())
    assert "eftersom Anna Admin bjöd in dig till Föreningen Åsa" in footer  # language: sv
    assert "någon bad om det" not in footer and "someone asked" not in footer


def test_a_5000_character_paragraph_typed_with_crlf_arrives_in_paragraphs(app, client, smtp_server):
    by_kind = every_kind(client, smtp_server)
    thanks = by_kind[MessageKind.FOLLOW_UP]
    assert len(thanks) >= 2
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.FOLLOW_UP)
    ).first()
    assert "\r" not in row.payload["text"], "line ends normalised once, at the form"
    for got in thanks:
        text = got.part("text/plain")
        assert " ".join(PARAGRAPH.split()) in " ".join(text.split())
        html = got.part("text/html")
        escaped = PARAGRAPH.replace("'", "&#39;")
        assert f"<p>{escaped}</p>" in html
        assert "<p>Välkomna tillbaka!<br>Hälsningar, Anna</p>" in html


def test_tidy_text_collapses_blank_runs_and_wraps_but_keeps_links_whole():
    link = "https://traffpunkt.example.se/bookings/" + "x" * 90
    text = "Hej,\n\n\n\n  \nA " + "word " * 30 + "\n\n\n\nLink: " + link + "\n-- \nOrg\n\n"
    tidy = rendering.tidy_text(text)
    assert "\n\n\n" not in tidy and tidy.endswith("Org\n")
    assert link in tidy.splitlines(), "a link stays whole, on a line of its own"
    assert "-- " in tidy.splitlines(), "the signature separator keeps its space"
    assert all(len(line) <= 72 for line in tidy.splitlines() if line != link)
    indented = rendering.tidy_text("  " + "ord " * 40)
    assert all(line.startswith("  ") for line in indented.splitlines())


def test_reminders_say_whom_to_tell_and_the_contacts_carries_the_manage_link(app, smtp_server):
    event = f.event(reminder_offsets=[60], title="Workshop")
    booking = bookings.register(
        event.id,
        f.company_data(1),
        bookings.ContactData(name="Oliver Smith", email="oliver@northwind.example"),
        [
            bookings.ParticipantData(name="Oliver Smith", email="Oliver@northwind.example"),
            bookings.ParticipantData(name="Maja Ek", email="maja@northwind.example"),
        ],
        consent_version="test",
        language="en",
    )
    send_all()
    smtp_server.received.clear()
    assert send_all(event.starts_at - timedelta(minutes=59)).sent == 2
    (olivers,) = smtp_server.to("oliver@northwind.example")
    text = " ".join(olivers.part("text/plain").split())
    assert "please tell Oliver Smith" not in text
    assert "change or cancel it with the link below" in text
    assert "/bookings/" in text and "/bookings/" in olivers.part("text/html")
    (majas,) = smtp_server.to("maja@northwind.example")
    assert "please tell Oliver Smith at Företag 1 AB" in " ".join(majas.part("text/plain").split())
    assert "/bookings/" not in majas.part("text/plain") + majas.part("text/html")
    assert booking.status.value == "confirmed"


def unsubscribe_url(received: Received) -> str:
    return received.message["List-Unsubscribe"].strip("<>")


def test_one_click_unsubscribe_works_with_a_post_and_no_session(app, smtp_server):
    app.config["WTF_CSRF_ENABLED"] = True
    event = f.event(reminder_offsets=[24 * 60, 60], title="Frukostmöte")
    booking = f.book(event, 2, language="sv")
    send_all()
    smtp_server.received.clear()
    quitter, stayer = booking.participants
    assert send_all(event.starts_at - timedelta(hours=23)).sent == 2  # the day-before ones
    url = unsubscribe_url(smtp_server.to(quitter.email)[0])
    path = url.removeprefix("http://localhost")

    anonymous = app.test_client()  # no session, no cookies, no CSRF token
    page = anonymous.get(path)
    assert page.status_code == 200 and "Frukostmöte" in page.text and quitter.email in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    db.session.expire_all()
    assert db.session.get(Participant, quitter.id).unsubscribed_at is None, "GET changes nothing"

    before = utcnow()
    response = anonymous.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    quitted = db.session.get(Participant, quitter.id)
    assert quitted.unsubscribed_at is not None and quitted.unsubscribed_at >= before
    assert db.session.get(Participant, stayer.id).unsubscribed_at is None
    assert anonymous.post(path).status_code == 200, "again: still fine, first time kept"
    db.session.expire_all()
    assert db.session.get(Participant, quitter.id).unsubscribed_at == quitted.unsubscribed_at

    # A time change re-plans reminders; none comes back for the one who left.
    for session in event.sessions:
        session.starts_at += timedelta(hours=2)
        session.ends_at += timedelta(hours=2)
    events.record_change(event, times_changed=True, place_changed=False)
    send_all()
    smtp_server.received.clear()
    assert send_all(event.starts_at - timedelta(minutes=59)).sent >= 1
    assert smtp_server.to(stayer.email) and not smtp_server.to(quitter.email)
    reminders = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.participant_id == quitter.id,
            OutboxMessage.kind == MessageKind.REMINDER,
            OutboxMessage.status == MessageStatus.PENDING,
        )
    ).all()
    assert reminders == []

    forged = path[:-24] + "A" * 24
    assert anonymous.post(forged).status_code == 404
    assert anonymous.get("/unsubscribe/not-a-token").status_code == 404
    assert anonymous.get(f"/unsubscribe/{stayer.id}-{'B' * 24}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Participant, stayer.id).unsubscribed_at is None


def test_an_unsubscribed_participant_gets_no_thank_you_and_a_queued_one_is_not_sent(
    app, smtp_server
):
    from webapp.notifications import services, unsubscribe

    event = f.event(title="Förr")
    booking = f.book(event, 2, language="en")
    send_all()
    smtp_server.received.clear()
    user = accounts.create_user("org@example.se", "Org", "a long password")
    accounts.add_member(event.organisation_id, user, Role.ORGANISER)
    first, second = booking.participants
    unsubscribe.unsubscribe(first.id)
    assert services.queue_follow_up(user, event.id, text="Tack!") == 1
    # The second unsubscribes after the thank-you was queued, before it goes.
    unsubscribe.unsubscribe(second.id)
    result = send_all()
    assert result.sent == 0 and not smtp_server.received
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.FOLLOW_UP)
    ).all()
    assert [(r.participant_id, r.status) for r in rows] == [(second.id, MessageStatus.CANCELLED)]


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "PUBLIC_POST_LIMIT": "3 per minute"}]
)
def test_unsubscribe_posts_are_rate_limited_and_gets_are_not(app):
    from webapp.extensions import limiter
    from webapp.notifications import unsubscribe

    limiter.reset()
    booking = f.book(f.event(), 1)
    db.session.commit()
    path = f"/unsubscribe/{unsubscribe.token(booking.participants[0].id)}"
    anonymous = app.test_client()
    try:
        codes = [anonymous.post(f"/unsubscribe/{n}-{'A' * 24}").status_code for n in range(4)]
        assert codes == [404, 404, 404, 429]
        assert anonymous.get(path).status_code == 200
    finally:
        limiter.reset()


def test_who_the_email_is_from_and_where_replies_go(app, smtp_server):
    """Event emails: the organisation's name (a line break in it cannot break the header)
    and contact; without a contact, and for password resets when it is set, the site's
    MAIL_REPLY_TO. The address in From is always the site's own."""
    plain = f.organisation("Energikontor\r\nMitt", contact_email="info@ek.example.se")
    silent = f.organisation("Tyst Förening")
    person = h.user(plain, Role.ORGANISER, name="Per", email="per@ek.example.se")
    for org in (plain, silent):
        f.book(f.event(org), 1)
    account_messages.queue_password_reset(person.email, person)
    db.session.commit()

    def headers(condition) -> tuple[str, str | None]:
        row = db.session.scalars(select(OutboxMessage).where(condition)).first()
        origin = rendering.sender(row)
        return origin.from_header, origin.reply_to

    reset = OutboxMessage.kind == MessageKind.PASSWORD_RESET
    assert headers(OutboxMessage.event.has(organisation_id=plain.id)) == (
        "Energikontor Mitt <noreply@traffpunkt.test>",
        "Energikontor Mitt <info@ek.example.se>",
    )
    assert headers(OutboxMessage.event.has(organisation_id=silent.id)) == (
        "=?utf-8?q?Tyst_F=C3=B6rening?= <noreply@traffpunkt.test>",
        None,
    )
    assert headers(reset) == (
        "=?utf-8?q?Tr=C3=A4ffpunkt?= <noreply@traffpunkt.test>",
        "Energikontor Mitt <info@ek.example.se>",
    )
    app.config["MAIL_REPLY_TO"] = "Träffpunkt support <support@traffpunkt.test>"
    assert headers(OutboxMessage.event.has(organisation_id=plain.id))[1] == (
        "Energikontor Mitt <info@ek.example.se>"
    ), "an organisation's own contact wins for its events"
    assert headers(OutboxMessage.event.has(organisation_id=silent.id))[1] == (
        "=?utf-8?q?Tr=C3=A4ffpunkt_support?= <support@traffpunkt.test>"
    )
    assert headers(reset)[1] == "=?utf-8?q?Tr=C3=A4ffpunkt_support?= <support@traffpunkt.test>"
