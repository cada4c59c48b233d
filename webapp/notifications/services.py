"""What organisers do with the outbox: read it per event, resend a message, send thanks.

Every function checks the acting user's role in the event's organisation first
(``require_role``), so a view that forgot a check still cannot leak or change anything.
Services flush, never commit; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.accounts.models import Role, User
from webapp.accounts.services import require_role
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.db import begin_write, db, lock_row, utcnow
from webapp.events.models import Event
from webapp.notifications import outbox
from webapp.notifications.models import MessageStatus, OutboxMessage


class MessageNotFound(Exception):
    """There is no such message (views answer 404)."""


class CannotResend(Exception):
    """Only sent, failed or cancelled messages can be sent again."""


@dataclass(frozen=True)
class OutboxSummary:
    """One event's messages that need an organiser's eye, and counts of all of them."""

    event: Event
    failed: list[OutboxMessage]
    pending: list[OutboxMessage]
    counts: dict[MessageStatus, int]


def _event_for(user: User | None, event_id: int, role: Role) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise MessageNotFound()
    require_role(user, event.organisation_id, role)
    return event


def event_outbox(user: User | None, event_id: int, *, limit: int = 200) -> OutboxSummary:
    """Failed and pending (or sending) messages of an event, oldest due first.

    Raises MessageNotFound for an unknown event, NotAllowed without a role in its
    organisation.
    """
    event = _event_for(user, event_id, Role.VIEWER)
    base = (
        select(OutboxMessage)
        .where(OutboxMessage.event_id == event.id)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    failed = db.session.scalars(base.where(OutboxMessage.status == MessageStatus.FAILED)).all()
    pending = db.session.scalars(
        base.where(OutboxMessage.status.in_([MessageStatus.PENDING, MessageStatus.SENDING]))
    ).all()
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.event_id == event.id)
            .group_by(OutboxMessage.status)
        ).all()
    )
    return OutboxSummary(event, list(failed), list(pending), counts)


def get_message(user: User | None, message_id: int) -> OutboxMessage:
    """One event's message, to read it rendered. Raises MessageNotFound or NotAllowed.

    Needs the organiser role: a contact's message carries the manage link, which can change
    or cancel the booking, and viewers may only read. Account messages (no event) are
    nobody's to read here: their link is a credential.
    """
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.event is None:
        raise MessageNotFound()
    require_role(user, message.event.organisation_id, Role.ORGANISER)
    return message


def resend(user: User | None, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Queue a sent, failed or cancelled message again, due now, with fresh attempts.

    It goes out with a new Message-ID (mail clients must not take it for the old one).
    Raises MessageNotFound (also for account messages), NotAllowed (needs organiser) or
    CannotResend.
    """
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.event is None:
        raise MessageNotFound()
    require_role(user, message.event.organisation_id, Role.ORGANISER)
    message = lock_row(OutboxMessage, message_id)
    if message.status in (MessageStatus.PENDING, MessageStatus.SENDING):
        raise CannotResend()
    if message.content_erased_at is not None:
        raise CannotResend("erased")
    now = now or utcnow()
    if message.status == MessageStatus.SENT:
        message.resends += 1
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.last_error = None
    message.claim_token = None
    message.next_attempt_at = now
    db.session.flush()
    return message


def follow_up_recipients(event: Event) -> list[Participant]:
    """Who is thanked: participants marked present at any session when attendance was
    taken, else every active participant of the confirmed bookings; never one who
    unsubscribed."""
    confirmed = (
        select(Participant)
        .join(Booking)
        .where(
            Booking.event_id == event.id,
            Booking.status == BookingStatus.CONFIRMED,
            Participant.cancelled_at.is_(None),
            Participant.unsubscribed_at.is_(None),
        )
        .order_by(Participant.id)
        .options(selectinload(Participant.booking))
    )
    present = select(Attendance.participant_id).where(Attendance.present.is_(True))
    taken = db.session.scalar(
        select(func.count())
        .select_from(Attendance)
        .join(Participant)
        .join(Booking)
        .where(Booking.event_id == event.id)
    )
    if taken:
        confirmed = confirmed.where(Participant.id.in_(present))
    return list(db.session.scalars(confirmed))


def queue_follow_up(
    user: User | None,
    event_id: int,
    *,
    text: str,
    feedback_url: str | None = None,
    evaluation: bool = False,
    send_at: datetime | None = None,
) -> int:
    """Queue the thank-you (the organiser's text and feedback link) to each participant,
    once per participant. Returns how many were queued. With ``evaluation`` those who
    were marked present get their link to the built-in evaluation (webapp.feedback).

    Raises MessageNotFound, NotAllowed (needs organiser).
    """
    event = _event_for(user, event_id, Role.ORGANISER)
    begin_write()
    return outbox.queue_follow_up(
        event,
        follow_up_recipients(event),
        text=text.strip(),
        feedback_url=(feedback_url or "").strip() or None,
        evaluation=evaluation,
        send_at=send_at or utcnow(),
    )


def all_messages(*, limit: int = 200) -> list[OutboxMessage]:
    """The newest messages, of every event and account (the development page; no access
    check there, it exists only with ``SHOW_OUTBOX`` or in debug)."""
    return list(
        db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )
