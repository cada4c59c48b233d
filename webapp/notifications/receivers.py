"""Signal receivers: which messages each booking or event change queues, and for whom.

The contact person hears about the booking as a whole (status, participants, manage link);
each participant hears what concerns them personally (their place, times, place, join link,
reminders). Participants are told about a booking only once it confirms their place:
pending and waitlisted registrations are the contact's business. A participant who was
told they have a place is also told when they lose it.

Account signals (a password reset asked for, a colleague invited) queue one message to
that person; the link itself is not taken from the signal but derived again when the
message is sent (see account_messages).

The receivers run inside the sending service's transaction (see webapp.signals), so the
messages commit or roll back with the change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from webapp import signals
from webapp.accounts.models import Invitation, User
from webapp.aid.models import AidGrant
from webapp.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, Participant
from webapp.db import db, utcnow
from webapp.directory.models import CompanyProfile
from webapp.events.models import Event
from webapp.notifications import account_messages, meeting_messages, outbox
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

_PLACED_KINDS = {
    BookingStatus.CONFIRMED: MessageKind.CONFIRMED,
    BookingStatus.PENDING: MessageKind.PENDING,
    BookingStatus.WAITLISTED: MessageKind.WAITLISTED,
}


def _told_confirmed(booking: Booking) -> list[Participant]:
    """Active participants of the booking who received (or will receive) a confirmation."""
    ids = set(
        db.session.scalars(
            select(OutboxMessage.participant_id).where(
                OutboxMessage.booking_id == booking.id,
                OutboxMessage.kind == MessageKind.CONFIRMED,
                OutboxMessage.participant_id.is_not(None),
                OutboxMessage.status != MessageStatus.CANCELLED,
            )
        )
    )
    return [p for p in booking.active_participants if p.id in ids]


def _confirm(booking: Booking, contact_kind: MessageKind, *, placed_now: bool = False) -> None:
    outbox.queue_for_booking(
        booking,
        contact_kind,
        participants=booking.active_participants,
        participant_kind=MessageKind.CONFIRMED,
        placed_now=placed_now,
    )
    outbox.plan_reminders(booking)


def on_booking_placed(booking: Booking, **_: Any) -> None:
    kind = _PLACED_KINDS.get(booking.status)
    if kind is None:
        return
    if booking.status == BookingStatus.CONFIRMED:
        _confirm(booking, kind, placed_now=True)
    else:
        outbox.queue_for_booking(booking, kind, placed_now=True)


def on_booking_promoted(booking: Booking, **_: Any) -> None:
    _confirm(booking, MessageKind.PROMOTED)


def on_booking_decided(booking: Booking, *, approved: bool, **_: Any) -> None:
    if approved:
        _confirm(booking, MessageKind.APPROVED)
    else:
        outbox.cancel_reminders(booking_id=booking.id)
        outbox.queue_for_booking(booking, MessageKind.DECLINED)


def on_booking_waitlisted(booking: Booking, **_: Any) -> None:
    told = _told_confirmed(booking)
    outbox.cancel_reminders(booking_id=booking.id)
    outbox.queue_for_booking(booking, MessageKind.WAITLISTED, participants=told)


def on_booking_cancelled(booking: Booking, *, by_organiser: bool = False, **_: Any) -> None:
    told = _told_confirmed(booking)
    outbox.cancel_reminders(booking_id=booking.id)
    outbox.queue_for_booking(
        booking, MessageKind.CANCELLED, participants=told, payload={"by_organiser": by_organiser}
    )


def on_participants_added(booking: Booking, *, participants: list[Participant], **_: Any) -> None:
    if booking.status != BookingStatus.CONFIRMED:
        return
    outbox.queue_for_booking(
        booking, MessageKind.CONFIRMED, contact=False, participants=participants
    )
    outbox.plan_reminders(booking, participants)


def on_participant_removed(booking: Booking, *, participant: Participant, **_: Any) -> None:
    was_told = db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.participant_id == participant.id,
            OutboxMessage.kind == MessageKind.CONFIRMED,
            OutboxMessage.status != MessageStatus.CANCELLED,
        )
    )
    outbox.cancel_reminders(participant_ids=[participant.id])
    if was_told is not None:
        outbox.queue_for_booking(
            booking, MessageKind.CANCELLED, contact=False, participants=[participant]
        )


def _event_bookings(event: Event) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.event_id == event.id, Booking.status.in_(ACTIVE_STATUSES))
            .order_by(Booking.id)
            .options(selectinload(Booking.participants))
        )
    )


def on_event_changed(
    event: Event, *, times_changed: bool = False, place_changed: bool = False, **_: Any
) -> None:
    bookings = _event_bookings(event)
    confirmed = [b for b in bookings if b.status == BookingStatus.CONFIRMED]
    outbox.queue_event_news(
        event,
        MessageKind.EVENT_CHANGED,
        bookings,
        confirmed,
        version=f"v{event.sequence}",
        payload={"times": times_changed, "place": place_changed},
    )
    if times_changed:
        outbox.replan_event(event, confirmed)


def on_reminder_offsets_changed(event: Event, **_: Any) -> None:
    bookings = _event_bookings(event)
    outbox.replan_event(event, [b for b in bookings if b.status == BookingStatus.CONFIRMED])


def on_event_cancelled(event: Event, **_: Any) -> None:
    bookings = _event_bookings(event)
    confirmed = [b for b in bookings if b.status == BookingStatus.CONFIRMED]
    outbox.cancel_reminders(event_id=event.id)
    outbox.queue_event_news(event, MessageKind.EVENT_CANCELLED, bookings, confirmed, version="x")


def on_participant_updated(participant: Participant, **_: Any) -> None:
    """Messages still waiting for a participant go to their corrected name and address."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.participant_id == participant.id,
            OutboxMessage.status == MessageStatus.PENDING,
        )
        .values(recipient_email=participant.email, recipient_name=participant.name)
    )


def on_booking_contact_changed(booking: Booking, **_: Any) -> None:
    """Messages still waiting for the contact person go to the new one."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.booking_id == booking.id,
            OutboxMessage.participant_id.is_(None),
            OutboxMessage.status == MessageStatus.PENDING,
        )
        .values(recipient_email=booking.contact_email, recipient_name=booking.contact_name)
    )


def on_booking_link_requested(booking: Booking, **_: Any) -> None:
    """The manage link to the contact, at most once a day however often someone asks."""
    today = utcnow().date().isoformat()
    outbox.queue_rows(
        [
            outbox.message_row(
                MessageKind.BOOKING_LINK,
                f"{MessageKind.BOOKING_LINK}:b{booking.id}:{today}",
                booking.event_id,
                booking.contact_email,
                booking.contact_name,
                utcnow(),
                booking_id=booking.id,
            )
        ]
    )


def on_password_reset_requested(address: str, *, user: User | None, **_: Any) -> None:
    account_messages.queue_password_reset(address, user)


def on_colleague_invited(invitation: Invitation, **_: Any) -> None:
    account_messages.queue_invitation(invitation)


def on_aid_granted(grant: AidGrant, *, changed: bool = False, **_: Any) -> None:
    """The certificate to the booking contact, at once; a changed grant gets a new one."""
    booking = grant.booking
    # One message per grant or change (the signal fires once for each); the time tells
    # two changes of one grant apart.
    outbox.queue_rows(
        [
            outbox.message_row(
                MessageKind.AID_CERTIFICATE,
                f"aid:{grant.id}:{'changed' if changed else 'granted'}:{utcnow().isoformat()}",
                booking.event_id,
                booking.contact_email,
                booking.contact_name,
                utcnow(),
                booking_id=booking.id,
                payload={"grant_id": grant.id},
            )
        ]
    )


def on_aid_withdrawn(grant: AidGrant, **_: Any) -> None:
    """Tell the booking contact that the aid (and its certificate) no longer stands; the
    amounts are kept in the message, as the grant's row may change again later."""
    booking = grant.booking
    outbox.queue_rows(
        [
            outbox.message_row(
                MessageKind.AID_WITHDRAWN,
                f"aid:{grant.id}:withdrawn:{utcnow().isoformat()}",
                booking.event_id,
                booking.contact_email,
                booking.contact_name,
                utcnow(),
                booking_id=booking.id,
                payload={
                    "grant_id": grant.id,
                    "amount_sek": str(grant.amount_sek),
                    "amount_eur": str(grant.amount_eur),
                    "granted_on": grant.granted_on.isoformat(),
                },
            )
        ]
    )


def on_directory_invited(profile: CompanyProfile, *, booking: Booking, **_: Any) -> None:
    """The profile's edit link to the booking's contact, once per company and link (the
    key: an erased contact's link is revoked, and the company's next contact invited).

    It goes out when the event is over, once the company has taken part, rather than
    beside the confirmation (at once for an event that has ended already).
    """
    event = booking.event
    ends = event.ends_at or event.starts_at
    due = max(ends, utcnow()) if ends is not None else utcnow()
    outbox.queue_rows(
        [
            outbox.message_row(
                MessageKind.DIRECTORY_INVITATION,
                f"{MessageKind.DIRECTORY_INVITATION}:c{profile.company_id}:{profile.edit_nonce[:8]}",
                booking.event_id,
                booking.contact_email,
                booking.contact_name,
                due,
                booking_id=booking.id,
                payload={"profile_id": profile.id},
            )
        ]
    )


_RECEIVERS = (
    (signals.booking_placed, on_booking_placed),
    (signals.booking_promoted, on_booking_promoted),
    (signals.booking_decided, on_booking_decided),
    (signals.booking_waitlisted, on_booking_waitlisted),
    (signals.booking_cancelled, on_booking_cancelled),
    (signals.participants_added, on_participants_added),
    (signals.participant_removed, on_participant_removed),
    (signals.event_changed, on_event_changed),
    (signals.event_cancelled, on_event_cancelled),
    (signals.reminder_offsets_changed, on_reminder_offsets_changed),
    (signals.participant_updated, on_participant_updated),
    (signals.booking_contact_changed, on_booking_contact_changed),
    (signals.booking_link_requested, on_booking_link_requested),
    (signals.password_reset_requested, on_password_reset_requested),
    (signals.colleague_invited, on_colleague_invited),
    (signals.aid_granted, on_aid_granted),
    (signals.aid_withdrawn, on_aid_withdrawn),
    (signals.meeting_requested, meeting_messages.on_requested),
    (signals.meeting_answered, meeting_messages.on_answered),
    (signals.meeting_cancelled, meeting_messages.on_cancelled),
    (signals.meeting_moved, meeting_messages.on_moved),
    (signals.directory_invited, on_directory_invited),
)


def connect() -> None:
    """Connect every receiver; connecting the same function again is a no-op in blinker."""
    for signal, receiver in _RECEIVERS:
        # Strong references: these module-level functions live as long as the process.
        signal.connect(receiver, weak=False)
