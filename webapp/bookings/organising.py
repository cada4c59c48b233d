"""Organisers acting on bookings: selection, status moves, bookings and participants on a
company's behalf.

Each operation checks the organiser role in the event's organisation, then calls the same
service as the public pages (bookings.services), so capacity, the per-company limit and the
waiting list hold whoever acts; and it writes an audit entry in the same transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.accounts.models import Role, User
from webapp.bookings import services
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.db import db
from webapp.events import log as event_log
from webapp.events.models import Event
from webapp.organisations import audit
from webapp.organisations.services import NotAllowed, require_role

# The event log shows a booking's recorded status ("confirmed") by its label.
event_log.VALUE_LABELS["status"] = lambda value: BookingStatus(value).label


class Move(enum.StrEnum):
    """Where an organiser may move a booking."""

    CONFIRM = "confirm"
    WAITLIST = "waitlist"
    DECLINE = "decline"
    CANCEL = "cancel"


def booking_for(user: User, booking_id: int, role: Role = Role.ORGANISER) -> Booking:
    """A booking with its event, company and participants, if the user holds ``role`` in the
    event's organisation. Raises NotAllowed otherwise (and for an unknown booking)."""
    booking = (
        db.session.scalars(
            select(Booking)
            .where(Booking.id == booking_id)
            .options(
                joinedload(Booking.event).joinedload(Event.organisation),
                joinedload(Booking.company),
                joinedload(Booking.participants),
            )
        )
        .unique()
        .first()
    )
    if booking is None:
        raise NotAllowed()
    require_role(user, booking.event.organisation_id, role)
    return booking


def _log(user: User, action: str, booking: Booking, **details: object) -> None:
    audit.record(
        user,
        action,
        organisation_id=booking.event.organisation_id,
        event_id=booking.event_id,
        booking_id=booking.id,
        **details,
    )


def decide(user: User, event: Event, booking_ids: Sequence[int], approve: bool) -> list[Booking]:
    """Approve or decline several bookings of one event at once, oldest first.

    All or nothing: the first booking whose seats do not fit raises NotEnoughSeats (naming
    its company) and the caller rolls the whole selection back. Needs organiser.
    """
    require_role(user, event.organisation_id, Role.ORGANISER)
    chosen = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.id.in_(set(booking_ids)), Booking.event_id == event.id)
            .options(joinedload(Booking.company))
            .order_by(Booking.created_at, Booking.id)
        )
    )
    if not chosen:
        raise services.BookingError(_l("Choose at least one booking."))
    done = []
    for booking in chosen:
        company = booking.company.name
        try:
            result = services.approve(booking.id) if approve else services.decline(booking.id)
        except services.BookingError as error:
            raise type(error)(f"{company}: {error}") from None
        _log(user, "booking.approved" if approve else "booking.declined", result, company=company)
        done.append(result)
    return done


def move(user: User, booking_id: int, target: Move) -> Booking:
    """Move one booking to confirmed, the waiting list, declined or cancelled. Needs organiser.

    Raises BookingError subclasses (NotEnoughSeats, BookingNotActive, ...) as the services do.
    """
    booking = booking_for(user, booking_id)
    if target is Move.CONFIRM:
        result = services.approve(booking.id)
        action = "booking.approved"
    elif target is Move.WAITLIST:
        result = services.move_to_waiting_list(booking.id)
        action = "booking.waitlisted"
    elif target is Move.DECLINE:
        result = services.decline(booking.id)
        action = "booking.declined"
    else:
        result = services.cancel(booking.id, by_organiser=True)
        action = "booking.cancelled"
    _log(user, action, result, company=result.company.name)
    return result


def add_booking(
    user: User,
    event: Event,
    company: services.CompanyData,
    contact: services.ContactData,
    participants: Sequence[services.ParticipantData],
    *,
    consent_version: str,
    language: str,
    submission_key: str | None = None,
    before_seats: Callable[[Booking], None] | None = None,
) -> Booking:
    """Book on a company's behalf (confirmed if it fits, else waitlisted; pending when an
    organiser must review it, see services.held_for_review). Needs organiser.

    A repeated ``submission_key`` (the form sent twice) returns the first booking.
    ``before_seats`` stores the form's sections (services.register).
    """
    require_role(user, event.organisation_id, Role.ORGANISER)
    booking = services.register(
        event.id,
        company,
        contact,
        participants,
        consent_version=consent_version,
        language=language,
        by_organiser=True,
        submission_key=submission_key,
        before_seats=before_seats,
    )
    _log(
        user,
        "booking.added",
        booking,
        company=company.name,
        participants=len(participants),
        status=booking.status.value,
    )
    return booking


def add_participant(user: User, booking_id: int, person: services.ParticipantData) -> Participant:
    """Add one participant to a booking (seats permitting). Needs organiser."""
    booking = booking_for(user, booking_id)
    (added,) = services.add_participants(booking.id, [person], by_organiser=True)
    _log(user, "participant.added", booking, participant=added.name)
    return added


def _participant_for(user: User, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise NotAllowed()
    booking_for(user, participant.booking_id)
    return participant


def edit_participant(
    user: User, participant_id: int, person: services.ParticipantData
) -> Participant:
    """Correct a participant's details. Needs organiser."""
    participant = _participant_for(user, participant_id)
    changed = sorted(
        name
        for name in ("name", "email", "role", "gender", "dietary_needs", "accessibility_needs")
        if (getattr(participant, name) or None) != (getattr(person, name) or None)
    )
    result = services.update_participant(
        participant.booking_id, participant.id, person, by_organiser=True
    )
    _log(user, "participant.edited", result.booking, participant=result.name, fields=changed)
    return result


def remove_participant(user: User, participant_id: int) -> Participant:
    """Take a participant off their booking, freeing the seat. Needs organiser."""
    participant = _participant_for(user, participant_id)
    result = services.remove_participant(participant.booking_id, participant.id, by_organiser=True)
    _log(user, "participant.removed", result.booking, participant=result.name)
    return result
