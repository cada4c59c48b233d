"""Reading an event's attendee list: bookings, participants, companies and counts.

The list runs a fixed number of queries whatever the number of bookings (tested from 10
to 1,000): the bookings with their companies, then every participant of those bookings in
one query grouped in Python. ``selectinload`` is not used for the participants because it
batches its ``IN`` list per 500 rows, which would make the count grow with the event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from webapp.accounts.models import User
from webapp.accounts.services import can_view_event
from webapp.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, Participant
from webapp.companies.models import Company
from webapp.db import db
from webapp.events.management import get_event
from webapp.events.models import Event, EventSession
from webapp.organisations.models import Role
from webapp.organisations.services import NotAllowed, has_role


@dataclass(frozen=True)
class AttendeeFilter:
    """What the organiser narrowed the list to."""

    status: BookingStatus | None = None
    search: str = ""

    @classmethod
    def from_args(cls, status: str | None, search: str | None) -> AttendeeFilter:
        """From query-string values; an unknown status means all."""
        try:
            chosen = BookingStatus(status) if status else None
        except ValueError:
            chosen = None
        return cls(status=chosen, search=(search or "").strip()[:100])


@dataclass(frozen=True)
class Counts:
    """Bookings and participants per status; ``seats_taken`` is the event's own figure."""

    seats_taken: int
    capacity: int | None
    bookings: dict[BookingStatus, int]
    participants: dict[BookingStatus, int]


def event_for_reader(user: User | None, event_id: int) -> Event | None:
    """The event (None if unknown) when the user may read its attendee list: members of its
    organisation and of its project's partner organisations. Raises NotAllowed otherwise."""
    event = get_event(event_id)
    if event is not None and not can_view_event(user, event):
        raise NotAllowed()
    return event


def _filtered(event_id: int, filters: AttendeeFilter) -> Select[tuple[Booking]]:
    stmt = select(Booking).join(Booking.company).where(Booking.event_id == event_id)
    if filters.status is not None:
        stmt = stmt.where(Booking.status == filters.status)
    if filters.search:
        term = filters.search.lower()
        matching_participant = exists().where(
            Participant.booking_id == Booking.id,
            or_(
                func.lower(Participant.name).contains(term, autoescape=True),
                func.lower(Participant.email).contains(term, autoescape=True),
            ),
        )
        stmt = stmt.where(
            or_(
                func.lower(Company.name).contains(term, autoescape=True),
                func.lower(Booking.contact_name).contains(term, autoescape=True),
                func.lower(Booking.contact_email).contains(term, autoescape=True),
                Company.org_number.contains(term, autoescape=True),
                matching_participant,
            )
        )
    return stmt


def list_bookings(event: Event, filters: AttendeeFilter) -> list[Booking]:
    """The event's bookings matching ``filters``, oldest first, with company and participants.

    Two queries. Each booking's ``participants`` collection is filled from the second one,
    so templates and exports read it without further queries.
    """
    bookings = list(
        db.session.scalars(
            _filtered(event.id, filters)
            .options(contains_eager(Booking.company))
            .order_by(Booking.created_at, Booking.id)
        )
    )
    if not bookings:
        return []
    ids = _filtered(event.id, filters).with_only_columns(Booking.id)
    by_booking: dict[int, list[Participant]] = defaultdict(list)
    for participant in db.session.scalars(
        select(Participant).where(Participant.booking_id.in_(ids)).order_by(Participant.id)
    ):
        by_booking[participant.booking_id].append(participant)
    for booking in bookings:
        # Fill the relationships as loaded from the database, without marking anything changed.
        participants = by_booking.get(booking.id, [])
        set_committed_value(booking, "participants", participants)
        for participant in participants:
            set_committed_value(participant, "booking", booking)
    return bookings


def counts(event: Event) -> Counts:
    """Bookings and active participants per status (one query)."""
    rows = db.session.execute(
        select(
            Booking.status,
            func.count(func.distinct(Booking.id)),
            func.count(Participant.id),
        )
        .outerjoin(
            Participant,
            (Participant.booking_id == Booking.id) & Participant.cancelled_at.is_(None),
        )
        .where(Booking.event_id == event.id)
        .group_by(Booking.status)
    ).all()
    bookings = {status: 0 for status in BookingStatus}
    participants = {status: 0 for status in BookingStatus}
    for status, n_bookings, n_participants in rows:
        bookings[status] = n_bookings
        participants[status] = n_participants
    return Counts(
        seats_taken=event.seats_taken,
        capacity=event.capacity,
        bookings=bookings,
        participants=participants,
    )


def sees_needs(user: User | None, event: Event) -> bool:
    """Need to know: dietary and accessibility needs (which can reveal health or religion,
    GDPR art. 9), the contact's phone and the company's message are for organisers and
    admins of the organisation running the event; viewers and partners get counts."""
    return has_role(user, event.organisation_id, Role.ORGANISER)


@dataclass(frozen=True)
class NeedCounts:
    """Active participants of active bookings who stated a need."""

    dietary: int
    accessibility: int


def need_counts(event: Event) -> NeedCounts:
    """One query: how many stated dietary and accessibility needs (no names, no text)."""
    dietary, accessibility = db.session.execute(
        select(
            func.count(Participant.dietary_needs),
            func.count(Participant.accessibility_needs),
        )
        .join(Booking)
        .where(
            Booking.event_id == event.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Participant.cancelled_at.is_(None),
        )
    ).one()
    return NeedCounts(dietary or 0, accessibility or 0)


@dataclass(frozen=True)
class CateringLine:
    session: EventSession
    participants: int
    needs: list[tuple[str, int]]


def catering(user: User | None, event: Event) -> list[CateringLine]:
    """The caterer's list: per live session, the confirmed participants and how many state
    each dietary need (same text, ignoring case and spaces around it), no names.

    Everyone confirmed is expected at every session (bookings are for the whole event).
    Needs organiser.
    """
    if not sees_needs(user, event):
        raise NotAllowed()
    rows = db.session.execute(
        select(Participant.dietary_needs)
        .join(Booking)
        .where(
            Booking.event_id == event.id,
            Booking.status == BookingStatus.CONFIRMED,
            Participant.cancelled_at.is_(None),
        )
    ).scalars()
    total = 0
    needs: dict[str, tuple[str, int]] = {}
    for need in rows:
        total += 1
        text = (need or "").strip()
        if text:
            shown, n = needs.get(text.casefold(), (text, 0))
            needs[text.casefold()] = (shown, n + 1)
    ordered = sorted(needs.values(), key=lambda item: (-item[1], item[0].casefold()))
    return [
        CateringLine(session, total, ordered)
        for session in event.sessions
        if session.cancelled_at is None
    ]
