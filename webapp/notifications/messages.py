"""Organisers' messages to an event's participants: write once, one email per recipient.

The rule: an organiser picks a group (bookings by status, participants who did or did not
attend a session, or everyone not cancelled), writes a subject and a body in Swedish,
English or both, sees how many recipients there are and one of their emails as it will go
out, and sends. Sending writes one :class:`Message` and one outbox row per recipient in
the same transaction; each row is rendered when sent, in its booking's language (the text
in that language, else the other one), and the booking contact's email carries the manage
link. Nobody gets the same message twice: a participant who is also the booking's contact
gets the contact's email only.

Every function checks the acting user's role first (organiser; viewers may read the list
of sent messages). Services flush, the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from webapp.accounts.models import Role, User
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.db import begin_write, db, utcnow
from webapp.errors import RuleViolation
from webapp.events import log as event_log
from webapp.events.models import Event, EventSession
from webapp.i18n import format_time
from webapp.notifications import outbox
from webapp.notifications.models import (
    Audience,
    Message,
    MessageKind,
    MessageStatus,
    OutboxMessage,
)
from webapp.organisations import audit
from webapp.organisations.services import NotAllowed, require_role

event_log.VALUE_LABELS["audience"] = lambda value: Audience(value).label

_STATUSES = {
    Audience.CONFIRMED: [BookingStatus.CONFIRMED],
    Audience.WAITLISTED: [BookingStatus.WAITLISTED],
    Audience.PENDING: [BookingStatus.PENDING],
    Audience.DECLINED: [BookingStatus.DECLINED],
    Audience.EVERYONE: [
        BookingStatus.CONFIRMED,
        BookingStatus.WAITLISTED,
        BookingStatus.PENDING,
        BookingStatus.DECLINED,
    ],
}


class MessageError(RuleViolation):
    default = _l("The message could not be sent.")


class NoRecipients(MessageError):
    """The chosen group has nobody in it."""

    default = _l("Nobody is in this group, so there is no one to send the message to.")
    field = "audience"


#: The same message to the same group again within this time is a form sent twice (the
#: browser's Back button, a double click), not a new message.
REPEAT_WINDOW = timedelta(minutes=30)


class AlreadySent(MessageError):
    field = "subject_sv"


class UnknownSession(MessageError):
    default = _l("Choose a session of this event.")
    field = "session"


@dataclass(frozen=True)
class Draft:
    """A message as the organiser wrote it; at least one language has subject and body."""

    audience: Audience
    subject_sv: str = ""
    body_sv: str = ""
    subject_en: str = ""
    body_en: str = ""
    session_id: int | None = None


@dataclass(frozen=True)
class Recipient:
    """One email: to a booking's contact (``participant`` None) or to a participant."""

    booking: Booking
    participant: Participant | None

    @property
    def email(self) -> str:
        return self.participant.email if self.participant else self.booking.contact_email

    @property
    def name(self) -> str:
        return self.participant.name if self.participant else self.booking.contact_name


@dataclass(frozen=True)
class SentMessage:
    """A sent message with how many of its emails are in each status."""

    message: Message
    counts: dict[MessageStatus, int]


def _event(user: User | None, event_id: int, role: Role) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotAllowed()
    require_role(user, event.organisation_id, role)
    return event


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _session(event: Event, session_id: int | None) -> EventSession:
    session = next((s for s in event.sessions if s.id == session_id), None)
    if session is None:
        raise UnknownSession()
    return session


def recipients(event: Event, audience: Audience, session_id: int | None = None) -> list[Recipient]:
    """Who gets a message to ``audience``, in booking order; two queries whatever the
    number of bookings. Raises UnknownSession for an attendance group without a session
    of the event."""
    if audience.needs_session:
        return _attendance_recipients(event, audience, _session(event, session_id))
    bookings = db.session.scalars(
        select(Booking)
        .where(
            Booking.event_id == event.id,
            Booking.status.in_(_STATUSES[audience]),
            Booking.anonymised_at.is_(None),
        )
        .order_by(Booking.id)
        .options(selectinload(Booking.participants), joinedload(Booking.company))
    ).all()
    people: list[Recipient] = []
    for booking in bookings:
        people.append(Recipient(booking, None))
        people.extend(
            Recipient(booking, person)
            for person in booking.active_participants
            if not _same(person.email, booking.contact_email)
        )
    return people


def _attendance_recipients(
    event: Event, audience: Audience, session: EventSession
) -> list[Recipient]:
    present = select(Attendance.participant_id).where(
        Attendance.session_id == session.id, Attendance.present.is_(True)
    )
    stmt = (
        select(Participant)
        .join(Booking)
        .where(
            Booking.event_id == event.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.anonymised_at.is_(None),
            Participant.cancelled_at.is_(None),
        )
        .order_by(Booking.id, Participant.id)
        .options(joinedload(Participant.booking).joinedload(Booking.company))
    )
    if audience == Audience.ATTENDED:
        stmt = stmt.where(Participant.id.in_(present))
    else:
        stmt = stmt.where(Participant.id.not_in(present))
    return [Recipient(person.booking, person) for person in db.session.scalars(stmt)]


def _message(event: Event, user: User | None, draft: Draft) -> Message:
    return Message(
        event=event,
        event_id=event.id,
        sender_id=user.id if user is not None else None,
        audience=draft.audience,
        session_id=draft.session_id if draft.audience.needs_session else None,
        subject_sv=draft.subject_sv.strip(),
        body_sv=draft.body_sv.strip(),
        subject_en=draft.subject_en.strip(),
        body_en=draft.body_en.strip(),
    )


def _row(message: Message, recipient: Recipient) -> OutboxMessage:
    """The outbox row of one recipient, not added to the session (for the preview)."""
    return OutboxMessage(
        kind=MessageKind.ORGANISER_MESSAGE,
        status=MessageStatus.PENDING,
        recipient_email=recipient.email,
        recipient_name=recipient.name,
        event=message.event,
        event_id=message.event_id,
        booking=recipient.booking,
        booking_id=recipient.booking.id,
        participant=recipient.participant,
        participant_id=recipient.participant.id if recipient.participant else None,
        organiser_message=message,
        payload={},
        resends=0,
    )


@dataclass(frozen=True)
class Preview:
    """What sending would do: how many emails, and the first recipient's, unsent."""

    count: int
    sample: OutboxMessage | None
    languages: dict[str, int]


def preview(user: User | None, event_id: int, draft: Draft) -> Preview:
    """How many would get the message and one of their emails (render it with
    notifications.rendering). Nothing is stored. Raises NotAllowed (needs organiser),
    UnknownSession, NoRecipients."""
    event = _event(user, event_id, Role.ORGANISER)
    people = recipients(event, draft.audience, draft.session_id)
    if not people:
        raise NoRecipients()
    # Neither is added to the session (their relationships have no back-references that
    # would cascade them in), so nothing of the preview is flushed or stored.
    sample = _row(_message(event, user, draft), people[0])
    languages: dict[str, int] = {}
    for person in people:
        languages[person.booking.language] = languages.get(person.booking.language, 0) + 1
    return Preview(len(people), sample, languages)


def send(user: User | None, event_id: int, draft: Draft, now: datetime | None = None) -> Message:
    """Queue the message, one email per recipient, due now; audit-logged.

    Raises NotAllowed (needs organiser), UnknownSession, NoRecipients; nothing is stored
    then.
    """
    event = _event(user, event_id, Role.ORGANISER)
    begin_write()
    people = recipients(event, draft.audience, draft.session_id)
    if not people:
        raise NoRecipients()
    now = now or utcnow()
    earlier = db.session.scalar(
        select(Message.created_at)
        .where(
            Message.event_id == event.id,
            Message.audience == draft.audience,
            Message.session_id == draft.session_id
            if draft.session_id is not None
            else Message.session_id.is_(None),
            Message.subject_sv == draft.subject_sv,
            Message.body_sv == draft.body_sv,
            Message.subject_en == draft.subject_en,
            Message.body_en == draft.body_en,
            Message.created_at > now - REPEAT_WINDOW,
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    if earlier is not None:
        raise AlreadySent(
            _l(
                "This message was sent to this group at %(time)s already; it is not sent "
                "twice. Change it to send something new.",
                time=format_time(earlier),
            )
        )
    message = _message(event, user, draft)
    message.recipient_count = len(people)
    message.created_at = now
    db.session.add(message)
    db.session.flush()
    rows: list[dict[str, Any]] = []
    for person in people:
        who = f"p{person.participant.id}" if person.participant else "c"
        row = outbox.message_row(
            MessageKind.ORGANISER_MESSAGE,
            f"{MessageKind.ORGANISER_MESSAGE}:m{message.id}:b{person.booking.id}:{who}",
            event.id,
            person.email,
            person.name,
            now,
            booking_id=person.booking.id,
            participant_id=person.participant.id if person.participant else None,
        )
        row["organiser_message_id"] = message.id
        rows.append(row)
    outbox.queue_rows(rows)
    audit.record(
        user,
        "message.sent",
        organisation_id=event.organisation_id,
        event_id=event.id,
        title=message.subject_sv or message.subject_en,
        audience=draft.audience.value,
        participants=len(people),
    )
    db.session.flush()
    return message


def sent_messages(user: User | None, event_id: int) -> list[SentMessage]:
    """The event's messages, newest first, with their emails counted by status; two
    queries. Raises NotAllowed (needs a role in the organisation)."""
    event = _event(user, event_id, Role.VIEWER)
    messages = db.session.scalars(
        select(Message)
        .where(Message.event_id == event.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .options(joinedload(Message.sender), joinedload(Message.session))
    ).all()
    counts: dict[int, dict[MessageStatus, int]] = {m.id: {} for m in messages}
    if messages:
        for message_id, status, n in db.session.execute(
            select(OutboxMessage.organiser_message_id, OutboxMessage.status, func.count())
            .where(
                OutboxMessage.event_id == event.id,
                OutboxMessage.organiser_message_id.is_not(None),
            )
            .group_by(OutboxMessage.organiser_message_id, OutboxMessage.status)
        ):
            counts[message_id][MessageStatus(status)] = n
    return [SentMessage(m, counts[m.id]) for m in messages]
