"""The dispatcher's shortcuts change nothing: a batch rendered through one BatchCache gives
exactly what rendering each message alone gives, and the hand-built MIME reads back as
the same email."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import select, update

from tests import factories as f
from webapp.bookings import services as bookings
from webapp.db import db, utcnow
from webapp.events.models import EventKind
from webapp.notifications import dispatch, rendering
from webapp.notifications.models import MessageKind, MessageStatus, NotWanted, OutboxMessage

# Names that HTML escaping, %-formatting and header encoding must all get right.
AWKWARD = ['Åsa "Ö" <Öberg> & Co', "50% Smith, Jr.", "Zoë\u2028O'Neil"]


def awkward_booking(event, company: int, language: str):
    return bookings.register(
        event.id,
        f.company_data(company, name=f"Bolag & <Söner> {company} %(x)s"),
        bookings.ContactData(name=f"Kontakt <{company}> & Ägare", email=f"c{company}@example.se"),
        [
            bookings.ParticipantData(name=name, email=f"p{company}.{i}@example.se")
            for i, name in enumerate(AWKWARD)
        ],
        consent_version="test",
        language=language,
    )


def awkward_events(sessions: int):
    """A webinar with a join link and a workshop series of ``sessions``, titles that need
    escaping."""
    webinar = f.event(
        kind=EventKind.WEBINAR,
        online_url="https://meet.example.com/j/1",
        venue=None,
        title="Webbinarium <om> AI & data",
    )
    series = f.event(kind=EventKind.WORKSHOP_SERIES, sessions=sessions, title="Serie")
    return webinar, series


def all_rows() -> list[OutboxMessage]:
    db.session.commit()
    return dispatch._load(db.session.scalars(select(OutboxMessage.id)).all())


def fields(rendered: rendering.RenderedEmail) -> tuple:
    return (
        rendered.recipient,
        rendered.subject,
        rendered.text,
        rendered.html,
        rendered.language,
        rendered.attachments,
    )


def test_a_batch_renders_exactly_as_each_message_alone(app):
    webinar, series = awkward_events(sessions=3)
    series.sessions[1].title = "Del två & <mer>"
    for event in (webinar, series):
        for company, language in enumerate(("sv", "en", "sv")):
            awkward_booking(event, company + 10 * event.id, language)
    rows = all_rows()
    reminders = [r for r in rows if r.kind == MessageKind.REMINDER]
    assert len(reminders) >= 2 * 3 * 3 * 2

    cache = rendering.BatchCache()
    with rendering.email_context():
        for row in rows:
            alone = rendering.render(row)
            in_batch = rendering.render(row, cache)
            assert fields(in_batch) == fields(alone), (row.kind, row.recipient_name)
    # One rendering per (session, language, offset), not one per reminder.
    assert len(cache.shared) < len(reminders) / 2
    assert any("\u00c5sa" in r.recipient_name for r in reminders)


def test_the_built_message_reads_back_as_the_rendered_email(app):
    event = f.event(
        kind=EventKind.WEBINAR,
        online_url="https://meet.example.com/j/2",
        venue=None,
        title="Ett långt evenemang med åäö i titeln, så långt att ämnesraden måste vikas",
    )
    event.organisation.contact_email = "hej@org.example.se"
    awkward_booking(event, 1, "sv")
    cache = rendering.BatchCache()
    with rendering.email_context():
        for row in all_rows():
            rendered = rendering.render(row, cache)
            outgoing = rendering.to_outgoing(row, rendered, cache)
            assert outgoing.recipient == row.recipient_email
            assert outgoing.envelope_from == "noreply@traffpunkt.test"
            assert b"\n" not in outgoing.data.replace(b"\r\n", b""), "CRLF line ends only"
            message = email.message_from_bytes(outgoing.data, policy=policy.default)
            assert str(message["Subject"]) == rendered.subject
            assert message["To"].addresses[0].display_name == row.recipient_name
            assert message["To"].addresses[0].addr_spec == row.recipient_email
            assert str(message["From"]) == f"{event.organisation.name} <noreply@traffpunkt.test>"
            assert str(message["Reply-To"]) == f"{event.organisation.name} <hej@org.example.se>"
            assert message["Message-ID"] == rendering.message_id(row) == outgoing.message_id
            assert message["Content-Language"] == "sv"
            assert message["Auto-Submitted"] == "auto-generated"
            assert message.get_content_type() == "multipart/mixed"
            body = message.get_body(("plain",))
            assert body.get_content().replace("\r\n", "\n") == rendered.text
            html = message.get_body(("html",))
            assert html.get_content().replace("\r\n", "\n") == rendered.html
            files = {
                part.get_filename(): (
                    part.get_content_type(),
                    part.get_content_charset(),
                    part.get_param("method"),
                    part.get_param("name"),
                    part.get_payload(decode=True),
                )
                for part in message.iter_attachments()
            }
            assert files == {
                name: ("text/calendar", "utf-8", "PUBLISH", name, data)
                for name, kind, data in rendered.attachments
                if kind == rendering.CALENDAR_TYPE
            }
            assert len(files) == len(rendered.attachments)


def test_a_line_break_in_a_name_fails_that_message_only(app, smtp_server):
    event = f.event(starts_at=utcnow() + timedelta(hours=3))
    booking = f.book(event, 2, language="en")
    db.session.commit()
    bad = booking.participants[0]
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.participant_id == bad.id)
        .values(recipient_name="Eve\r\nBcc: victim@example.se")
    )
    db.session.commit()
    result = dispatch.dispatch_due()
    # It can never be sent as it is: failed at once, not retried.
    assert result.sent == result.claimed - 1 and result.failed == 1 and result.retrying == 0
    assert not smtp_server.to("victim@example.se")
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == MessageStatus.FAILED)
    ).one()
    assert row.participant_id == bad.id and row.attempts == 1
    assert row.last_error.startswith("cannot be sent: line break in a header value")


def test_a_batch_costs_the_same_queries_whatever_its_size(app, smtp_server, count_queries):
    event = f.event(
        kind=EventKind.WEBINAR, online_url="https://meet.example.com/j/3", venue=None, capacity=None
    )
    f.book(event, 3, company=1)
    db.session.commit()
    with count_queries() as small:
        assert dispatch.dispatch_due().sent == 4
    for company in (2, 3, 4):
        f.book(event, 3, company=company, language="en")
    db.session.commit()
    with count_queries() as large:
        assert dispatch.dispatch_due().sent == 12
    assert len(large) == len(small), "no query per message"


def _comparable(data: bytes) -> bytes:
    """The message without what differs between two buildings of it: the Date header and
    the random MIME boundaries."""
    data = re.sub(rb"\r\nDate: [^\r]*", b"", data)
    return re.sub(rb"===============[0-9a-f]{24}==", b"BOUNDARY", data)


def test_the_dispatcher_sends_each_row_exactly_as_rendered_alone(app):
    """The dispatcher reads claimed rows without ORM objects and fills reminders in from a
    shared rendering: every email it builds is the one rendering its row alone builds."""
    webinar, series = awkward_events(sessions=2)
    booked = [
        awkward_booking(event, company + 10 * event.id, language)
        for event in (webinar, series)
        for company, language in enumerate(("sv", "en"))
    ]
    # The contact also takes part (their own reminder carries the manage link), and one
    # participant has unsubscribed (no reminder goes out).
    bookings.add_participants(
        booked[0].id, [bookings.ParticipantData(name="Kontakt", email=booked[0].contact_email)]
    )
    booked[1].participants[0].unsubscribed_at = utcnow()
    rows = all_rows()
    claimed = dispatch._claimed([row.id for row in rows])
    assert [c.id for c in claimed] == sorted(row.id for row in rows)

    with rendering.email_context():
        batch = dispatch._Batch(claimed)
        shared = [c for c in claimed if batch._shared(c)]
        assert len(shared) >= len([r for r in rows if r.kind == MessageKind.REMINDER]) - 4
        for item in claimed:
            row = db.session.get(OutboxMessage, item.id)
            try:
                alone = rendering.to_outgoing(row, rendering.render(row))
            except NotWanted:
                with pytest.raises(NotWanted):
                    dispatch._Ahead(batch.outgoing(item)).result()
                continue
            made = dispatch._Ahead(batch.outgoing(item)).result()
            assert (made.envelope_from, made.recipient, made.message_id) == (
                alone.envelope_from,
                alone.recipient,
                alone.message_id,
            )
            assert _comparable(made.data) == _comparable(alone.data), (row.kind, row.id)
    assert any(c.unsubscribed for c in shared)
