"""Registration, the manage-my-booking operations, capacity and the waiting list.

The capacity rule (DESIGN.md): seats are participants. A booking takes its seats with one
conditional ``UPDATE`` that only succeeds while they fit, so the database, not a read
followed by a write, decides; a CHECK constraint backs it up. Every operation first locks
the event row (:func:`webapp.db.lock_row`), which orders the per-company limit and the
waiting list; on SQLite that is the database-wide write lock.

Services flush, never commit: the caller (a view, a CLI command, a test) commits once.
They raise :class:`BookingError` subclasses (a :class:`webapp.errors.RuleViolation`) whose
message is shown to the user as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, Update, bindparam, func, inspect, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from webapp import signals, tokens
from webapp.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, Gender, Participant
from webapp.companies import services as company_register
from webapp.companies.services import CompanyData
from webapp.db import db, insert_loaded, lock_row, utcnow
from webapp.errors import RuleViolation
from webapp.events.models import Event, EventStatus
from webapp.events.services import registration_open


class BookingError(RuleViolation):
    default = _l("The booking could not be changed.")


class EventNotFound(BookingError):
    default = _l("There is no such event.")


class RegistrationClosed(BookingError):
    default = _l("Registration for this event is closed.")


class CompanyLimitExceeded(BookingError):
    default = _l("Your company has reached the limit of participants for this event.")


class NotEnoughSeats(BookingError):
    default = _l("There are not enough seats left.")


class BookingNotActive(BookingError):
    default = _l("This booking is no longer active.")


class LastParticipant(BookingError):
    default = _l("A booking needs at least one participant. Cancel the booking instead.")


class AlreadyBooked(BookingError):
    """The company already has an active booking for the event; ``booking_id`` is that one.

    The message names nothing of the existing booking: whoever registers may be someone
    else at the company, or not at the company at all. The view emails the existing
    booking's link to its contact person (:func:`send_existing_booking_link`).
    """

    default = _l(
        "Your company is already registered for this event. We have emailed the link to the "
        "booking to its contact person, who can add participants or make changes there."
    )

    def __init__(self, booking_id: int, *, by_organiser: bool = False) -> None:
        super().__init__(
            _l(
                "This company already has a booking for this event (number %(id)s): add the "
                "participants to that booking instead.",
                id=booking_id,
            )
            if by_organiser
            else None
        )
        self.booking_id = booking_id


class ChangedResubmission(BookingError):
    """The form had been sent before and made ``booking_id``, and came again with other
    details (an edit, then Send again): no second booking, nothing changed. The view shows
    that booking (``token`` is its manage link's) with this message."""

    default = _l(
        "This form had already been sent, so no second booking was made. The changes made "
        "after it was sent were not saved: to make them, open the booking with the link below."
    )
    category = "warning"

    def __init__(self, booking_id: int, token: str) -> None:
        super().__init__()
        self.booking_id, self.token = booking_id, token


@dataclass(frozen=True)
class ParticipantData:
    name: str
    email: str
    role: str | None = None
    gender: Gender | None = None
    dietary_needs: str | None = None
    accessibility_needs: str | None = None


@dataclass(frozen=True)
class ContactData:
    name: str
    email: str
    phone: str | None = None


# --- the capacity statements -------------------------------------------------------------


def _set_seats(taken: ColumnElement[int]) -> Update:
    """``UPDATE events SET seats_taken = taken`` for the event ``event_id`` at ``now``.

    ``updated_at`` is set to itself, which keeps its ``onupdate`` away: seats are not the
    event's content, and a booking must not date its iCal VEVENTs anew (DTSTAMP,
    LAST-MODIFIED) or change the feeds' ETags. ``seats_changed_at`` tells the pages that
    show seats left (webapp.events.page_versions).
    """
    table = Event.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("event_id"))
        .values(
            seats_taken=taken,
            seats_changed_at=bindparam("now"),
            updated_at=table.c.updated_at,
        )
    )


@cache
def _take_seats_statement() -> Update:
    table = Event.__table__
    n = bindparam("n")
    return _set_seats(table.c.seats_taken + n).where(
        (table.c.capacity.is_(None)) | (table.c.seats_taken + n <= table.c.capacity)
    )


@cache
def _release_seats_statement() -> Update:
    table = Event.__table__
    return _set_seats(table.c.seats_taken - bindparam("n"))


def _take_seats(event: Event, n: int) -> bool:
    """Take ``n`` seats if they fit; one atomic statement, True when it did."""
    result = db.session.execute(
        _take_seats_statement(), {"event_id": event.id, "n": n, "now": utcnow()}
    )
    db.session.expire(event, ["seats_taken", "seats_changed_at"])
    return result.rowcount == 1


def _release_seats(event: Event, n: int) -> None:
    if n <= 0:
        return
    db.session.execute(_release_seats_statement(), {"event_id": event.id, "n": n, "now": utcnow()})
    db.session.expire(event, ["seats_taken", "seats_changed_at"])


def promote_waiting(event: Event, *, skip: Booking | None = None) -> list[Booking]:
    """Confirm the earliest waiting bookings that fit; the caller holds the event lock.

    A large booking at the head of the list does not block smaller ones behind it that fit:
    seats are not left empty while companies wait. Returns the promoted bookings.
    """
    if event.status != EventStatus.PUBLISHED:
        return []
    waiting = db.session.scalars(
        select(Booking)
        .where(Booking.event_id == event.id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.created_at, Booking.id)
        .options(selectinload(Booking.participants))
    ).all()
    promoted = []
    for booking in waiting:
        if event.seats_left == 0:
            break
        if booking is skip:
            continue
        n = len(booking.active_participants)
        if event.seats_left is not None and n > event.seats_left:
            continue
        if held_for_review(booking):
            booking.status = BookingStatus.PENDING  # an organiser decides (see the signal)
            continue
        if _take_seats(event, n):
            booking.status = BookingStatus.CONFIRMED
            booking.seats_held = n
            promoted.append(booking)
    db.session.flush()
    for booking in promoted:
        signals.booking_promoted.send(booking)
    return promoted


def held_for_review(booking: Booking) -> bool:
    """Whether a booking about to take seats must wait for an organiser's decision instead
    (signals.confirmation_review: over the de minimis ceiling)."""
    return any(held for _receiver, held in signals.confirmation_review.send(booking))


# --- rules ------------------------------------------------------------------------------


def _check_open(event: Event, now: datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise RegistrationClosed(_l("This event has been cancelled."))
    if event.status != EventStatus.PUBLISHED:
        raise EventNotFound()
    if event.registration_opens_at and now < event.registration_opens_at:
        raise RegistrationClosed(_l("Registration for this event has not opened yet."))
    if not registration_open(event, now):
        raise RegistrationClosed()


def _check_not_cancelled(event: Event) -> None:
    """Organisers too: nothing is confirmed or added on an event that was called off."""
    if event.status == EventStatus.CANCELLED:
        raise RegistrationClosed(_l("This event has been cancelled."))


def _check_not_started(event: Event, now: datetime) -> None:
    if event.starts_at and now >= event.starts_at:
        raise RegistrationClosed(_l("The event has already started; contact the organiser."))


def _check_new_people(booking: Booking, people: Sequence[ParticipantData]) -> None:
    """Each person once per booking, and no booking larger than the site allows."""
    emails = [p.email.lower() for p in booking.active_participants] + [
        p.email.lower() for p in people
    ]
    if len(emails) != len(set(emails)):
        raise BookingError(_l("Each participant needs their own email address."))
    cap = current_app.config["MAX_PARTICIPANTS_PER_BOOKING"]
    if len(emails) > cap:
        raise BookingError(_l("At most %(n)s participants can be registered.", n=cap))


def _active_booking_of(event_id: int, company_id: int) -> Booking | None:
    """The company's earliest active booking for the event, if it has one."""
    return db.session.scalars(
        select(Booking)
        .where(
            Booking.event_id == event_id,
            Booking.company_id == company_id,
            Booking.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Booking.created_at, Booking.id)
        .limit(1)
    ).first()


def _check_company_limit(event: Event, booking: Booking | None, adding: int) -> None:
    """The per-company limit, applied to the company's one booking for the event.

    A company has one active booking per event (a second registration is refused with
    AlreadyBooked), so the limit is about that booking's participants, whatever its status:
    a waiting booking keeps its size when promoted. The message says how many may still be
    added, or, when none may, that the booking is at the limit.
    """
    if event.max_per_company is None:
        return
    already = len(booking.active_participants) if booking is not None else 0
    if already + adding <= event.max_per_company:
        return
    left = event.max_per_company - already
    if left <= 0:
        raise CompanyLimitExceeded(
            _l(
                "Each company may register at most %(limit)s participants for this event, "
                "and your booking already has that many.",
                limit=event.max_per_company,
            )
        )
    raise CompanyLimitExceeded(
        _l(
            "Each company may register at most %(limit)s participants for this event; "
            "your company can add %(left)s more.",
            limit=event.max_per_company,
            left=left,
        )
    )


def _declared(data: CompanyData) -> dict[str, object]:
    """The booking's record of what was declared about the company."""
    return {
        "declared_country": data.country,
        "declared_org_number": data.org_number,
        "declared_name": data.name,
        "declared_county": data.county,
        "declared_size_class": data.size_class,
        "declared_industry_code": data.industry_code or None,
        "declared_staff_band": data.staff_band,
        "declared_turnover_band": data.turnover_band,
        "declared_balance_band": data.balance_band,
    }


def _new_participants(people: Sequence[ParticipantData]) -> list[Participant]:
    return [
        Participant(
            name=p.name,
            email=p.email,
            role=p.role or None,
            gender=p.gender,
            dietary_needs=p.dietary_needs or None,
            accessibility_needs=p.accessibility_needs or None,
            feed_nonce=tokens.new_nonce(),
        )
        for p in people
    ]


# --- operations -------------------------------------------------------------------------


def register(
    event_id: int,
    company: CompanyData,
    contact: ContactData,
    participants: Sequence[ParticipantData],
    *,
    consent_version: str,
    privacy_notice_id: int | None = None,
    language: str = "sv",
    invitations_opt_in: bool = False,
    message: str | None = None,
    submission_key: str | None = None,
    by_organiser: bool = False,
    before_seats: Callable[[Booking], None] | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book ``participants`` of ``company`` on an event.

    The booking is ``pending`` when the event needs approval or an organiser must review it
    (:func:`held_for_review`), ``confirmed`` when its seats fit, else ``waitlisted`` whole.
    ``before_seats`` runs once the booking row exists, before the status is decided: the
    registration form's sections store their answers there (the de minimis declaration
    the review reads). A repeated ``submission_key`` (a form sent twice)
    returns the booking the first submission made; only its SHA-256 is stored, so a
    database dump holds nothing that replays a registration into its manage link. An
    organiser booking on a company's behalf (``by_organiser``, e.g. after a phone call) is
    held to the same capacity and per-company rules, but not to the registration window
    (organisers take late registrations) nor to approval (the organiser chose the
    company). Raises EventNotFound, RegistrationClosed, CompanyLimitExceeded or BookingError.
    """
    now = now or utcnow()
    # With its sessions: a confirmed booking's reminders are planned from them.
    event = lock_row(Event, event_id, load=(Event.sessions,))
    if event is None:
        raise EventNotFound()
    submission_digest = _digest(submission_key) if submission_key else None
    if submission_digest:
        earlier = db.session.scalars(
            _by_submission_statement(), {"key": submission_digest}
        ).one_or_none()
        if earlier is not None and earlier.event_id == event_id:
            if _same_submission(earlier, contact, participants, message):
                return earlier  # the form sent twice (a double click, a retried request)
            raise ChangedResubmission(earlier.id, manage_token(earlier))
        if earlier is not None:
            submission_digest = None  # a form of another event sent here: not a repeat
    if by_organiser:
        _check_not_cancelled(event)
    else:
        _check_open(event, now)
    if not participants:
        raise BookingError(_l("Add at least one participant."))
    company_row, created = company_register.find_or_create(company)
    # A company created just now has no booking to find.
    existing = None if created else _active_booking_of(event.id, company_row.id)
    if existing is not None:
        raise AlreadyBooked(existing.id, by_organiser=by_organiser)
    _check_company_limit(event, None, len(participants))

    booking = Booking(
        event=event,
        company_id=company_row.id,
        status=BookingStatus.PENDING,
        seats_held=0,
        contact_name=contact.name,
        contact_email=contact.email,
        contact_phone=contact.phone or None,
        language=language,
        consent_version=consent_version,
        privacy_notice_id=privacy_notice_id,
        consent_at=now,
        invitations_opt_in=invitations_opt_in,
        message=message or None,
        token_nonce=tokens.new_nonce(),
        submission_key=submission_digest,
        created_at=now,
        participants=_new_participants(participants),
        **_declared(company),
    )
    # Without the backref's append to company.bookings, which would make the company dirty
    # and the write below a flush after all.
    set_committed_value(booking, "company", company_row)
    db.session.add(booking)
    if before_seats is not None:
        db.session.flush()
        before_seats(booking)
    n = len(participants)
    # The status is decided before the booking is written (when no section needed it
    # written first), so the row goes in once as it is; the review flushes if it reads it.
    with db.session.no_autoflush:
        if (event.requires_approval and not by_organiser) or held_for_review(booking):
            pass  # pending: an organiser decides
        elif _take_seats(event, n):
            booking.status, booking.seats_held = BookingStatus.CONFIRMED, n
        else:
            booking.status = BookingStatus.WAITLISTED
    if inspect(booking).pending:
        # Nothing needed it written yet: two INSERTs as it stands, without a flush's
        # unit of work (several times their cost).
        db.session.expunge(booking)
        insert_loaded([booking, *booking.participants])
    else:
        db.session.flush()
    signals.booking_placed.send(booking)
    return booking


def _same_submission(
    booking: Booking,
    contact: ContactData,
    participants: Sequence[ParticipantData],
    message: str | None,
) -> bool:
    """Whether a repeated submission says what ``booking`` holds: the same contact,
    participants (in any order) and message. Addresses compare without case."""

    def person(name: str, email: str, *rest: object) -> tuple[object, ...]:
        return (name.strip(), email.strip().casefold(), *rest)

    def people(rows: Iterable[Any]) -> list[tuple[object, ...]]:
        return sorted(
            (
                person(
                    p.name,
                    p.email,
                    p.role or None,
                    p.gender,
                    p.dietary_needs or None,
                    p.accessibility_needs or None,
                )
                for p in rows
            ),
            key=repr,
        )

    return (
        person(booking.contact_name, booking.contact_email, booking.contact_phone or None)
        == person(contact.name, contact.email, contact.phone or None)
        and (booking.message or None) == (message or None)
        and people(booking.participants) == people(participants)
    )


@cache
def _by_submission_statement() -> Select[tuple[Booking]]:
    return select(Booking).where(Booking.submission_key == bindparam("key"))


def _digest(submission_key: str) -> str:
    return hashlib.sha256(submission_key.encode()).hexdigest()


def _lock_booking(booking_id: int) -> tuple[Booking, Event]:
    """Lock the booking's event, then load the booking fresh under that lock."""
    event_id = db.session.scalar(select(Booking.event_id).where(Booking.id == booking_id))
    if event_id is None:
        raise BookingError()
    event = lock_row(Event, event_id)
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    return booking, event


def cancel(booking_id: int, *, by_organiser: bool = False, now: datetime | None = None) -> Booking:
    """Cancel a booking, free its seats and promote waiting bookings in the same transaction.

    Raises BookingNotActive when it is already cancelled or declined, RegistrationClosed
    when a company tries to cancel after the event started.
    """
    now = now or utcnow()
    booking, event = _lock_booking(booking_id)
    if not booking.is_active:
        raise BookingNotActive()
    if not by_organiser:
        _check_not_started(event, now)
    _release_seats(event, booking.seats_held)
    booking.seats_held = 0
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    db.session.flush()
    signals.booking_cancelled.send(booking, by_organiser=by_organiser)
    promote_waiting(event)
    return booking


def add_participants(
    booking_id: int,
    people: Sequence[ParticipantData],
    *,
    by_organiser: bool = False,
    now: datetime | None = None,
) -> list[Participant]:
    """Add participants to an active booking, within the company limit and the seats left.

    A confirmed booking must get seats for all of them at once (NotEnoughSeats otherwise);
    pending and waitlisted bookings simply grow. Companies can add only while registration
    is open.
    """
    now = now or utcnow()
    booking, event = _lock_booking(booking_id)
    if not booking.is_active:
        raise BookingNotActive()
    if not people:
        raise BookingError(_l("Add at least one participant."))
    _check_not_cancelled(event)
    if not by_organiser:
        _check_open(event, now)
    _check_new_people(booking, people)
    _check_company_limit(event, booking, len(people))
    if booking.status == BookingStatus.CONFIRMED:
        if not _take_seats(event, len(people)):
            raise NotEnoughSeats(
                _l("Only %(n)s seats are left.", n=event.seats_left)
                if event.seats_left
                else _l("The event is full; no participants can be added.")
            )
        booking.seats_held += len(people)
    added = _new_participants(people)
    booking.participants.extend(added)
    db.session.flush()
    signals.participants_added.send(booking, participants=added)
    return added


def remove_participant(
    booking_id: int,
    participant_id: int,
    *,
    by_organiser: bool = False,
    now: datetime | None = None,
) -> Participant:
    """Take one participant off a booking, freeing their seat for the waiting list.

    Companies can do it until the event starts (as with cancelling); organisers always.
    """
    now = now or utcnow()
    booking, event = _lock_booking(booking_id)
    if not booking.is_active:
        raise BookingNotActive()
    if not by_organiser:
        _check_not_started(event, now)
    participant = next((p for p in booking.active_participants if p.id == participant_id), None)
    if participant is None:
        raise BookingError(_l("That participant is not on this booking."))
    if len(booking.active_participants) == 1:
        raise LastParticipant()
    participant.cancelled_at = now
    if booking.status == BookingStatus.CONFIRMED:
        _release_seats(event, 1)
        booking.seats_held -= 1
    db.session.flush()
    signals.participant_removed.send(booking, participant=participant)
    promote_waiting(event)
    return participant


def approve(booking_id: int) -> Booking:
    """Confirm a pending or waitlisted booking chosen by an organiser, if its seats fit.

    Raises NotEnoughSeats when they do not (the booking stays as it was), BookingNotActive
    for cancelled or declined bookings, BookingError when it is confirmed already.
    """
    booking, event = _lock_booking(booking_id)
    if not booking.is_active:
        raise BookingNotActive()
    _check_not_cancelled(event)
    if booking.status == BookingStatus.CONFIRMED:
        raise BookingError(_l("The booking is already confirmed."))
    n = len(booking.active_participants)
    if not _take_seats(event, n):
        raise NotEnoughSeats(
            _l("%(n)s seats are needed but only %(left)s are left.", n=n, left=event.seats_left)
        )
    booking.status = BookingStatus.CONFIRMED
    booking.seats_held = n
    db.session.flush()
    signals.booking_decided.send(booking, approved=True)
    return booking


def decline(booking_id: int, *, now: datetime | None = None) -> Booking:
    """Decline a pending or waitlisted booking (organisers' selection); it holds no seat."""
    booking, _event = _lock_booking(booking_id)
    if booking.status not in (BookingStatus.PENDING, BookingStatus.WAITLISTED):
        raise BookingError(_l("Only pending or waitlisted bookings can be declined."))
    booking.status = BookingStatus.DECLINED
    booking.cancelled_at = now or utcnow()
    db.session.flush()
    signals.booking_decided.send(booking, approved=False)
    return booking


def move_to_waiting_list(booking_id: int) -> Booking:
    """Organisers: put a confirmed booking back on the waiting list, freeing its seats.

    The freed seats go to other waiting bookings, never straight back to this one.
    """
    booking, event = _lock_booking(booking_id)
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingError(_l("Only confirmed bookings can be moved to the waiting list."))
    _release_seats(event, booking.seats_held)
    booking.seats_held = 0
    booking.status = BookingStatus.WAITLISTED
    db.session.flush()
    signals.booking_waitlisted.send(booking)
    promote_waiting(event, skip=booking)
    return booking


# --- secret links ------------------------------------------------------------------------


def manage_token(booking: Booking) -> str:
    return tokens.make("manage", booking.id, booking.token_nonce)


def booking_for_token(token: str) -> Booking | None:
    """The booking a manage link belongs to, or None for an unknown or tampered token."""
    booking_id = tokens.parse_id(token)
    if booking_id is None:
        return None
    booking = db.session.get(Booking, booking_id)
    if booking is None or not tokens.matches("manage", booking.id, booking.token_nonce, token):
        return None
    return booking


def participant_token(purpose: str, participant_id: int) -> str:
    """A participant's link token for ``purpose`` without a nonce (unsubscribe, the
    evaluation): the same in every email to them, valid while the participant exists."""
    return tokens.make(purpose, participant_id, "")


def participant_for_token(purpose: str, token: str) -> Participant | None:
    """The participant a :func:`participant_token` of ``purpose`` belongs to, with its
    booking, event and organisation loaded; None for any other string."""
    participant_id = tokens.parse_id(token)
    if participant_id is None or not tokens.matches(purpose, participant_id, "", token):
        return None
    return db.session.scalar(
        select(Participant)
        .where(Participant.id == participant_id)
        .options(
            selectinload(Participant.booking)
            .selectinload(Booking.event)
            .selectinload(Event.organisation)
        )
    )


# --- changing details (companies from the manage page, organisers from theirs) ----------


def update_participant(
    booking_id: int,
    participant_id: int,
    data: ParticipantData,
    *,
    by_organiser: bool = False,
    now: datetime | None = None,
) -> Participant:
    """Correct one participant's details in place: their seat and the queue order stay.

    Companies can do it until the event starts; organisers always. Raises BookingError when
    the participant is not on the booking or another participant of the booking already has
    the email address, BookingNotActive for a cancelled or declined booking.
    """
    now = now or utcnow()
    booking, event = _lock_booking(booking_id)
    if not by_organiser:
        if not booking.is_active:
            raise BookingNotActive()
        _check_not_started(event, now)
    participant = next((p for p in booking.active_participants if p.id == participant_id), None)
    if participant is None:
        raise BookingError(_l("That participant is not on this booking."))
    email = data.email.lower()
    if any(
        p.email.lower() == email and p.id != participant_id for p in booking.active_participants
    ):
        raise BookingError(_l("Each participant needs their own email address."), field="email")
    participant.name = data.name
    participant.email = email
    participant.role = data.role or None
    participant.gender = data.gender
    participant.dietary_needs = data.dietary_needs or None
    participant.accessibility_needs = data.accessibility_needs or None
    db.session.flush()
    signals.participant_updated.send(participant)
    return participant


def update_contact(
    booking_id: int, contact: ContactData, *, now: datetime | None = None
) -> Booking:
    """Change a booking's contact person (manage page): who gets the booking's emails.

    Raises BookingNotActive for a cancelled or declined booking, RegistrationClosed after
    the event started (the organiser can still be asked).
    """
    booking, event = _lock_booking(booking_id)
    if not booking.is_active:
        raise BookingNotActive()
    _check_not_started(event, now or utcnow())
    booking.contact_name = contact.name
    booking.contact_email = contact.email.lower()
    booking.contact_phone = contact.phone or None
    db.session.flush()
    signals.booking_contact_changed.send(booking)
    return booking


def send_existing_booking_link(booking_id: int) -> None:
    """Email the manage link of an existing booking to its contact person.

    Used after a second registration of the same company was refused (AlreadyBooked): the
    one who tried is shown nothing of the booking, its contact is told through the outbox.
    """
    booking = db.session.get(Booking, booking_id)
    if booking is not None and booking.is_active:
        signals.booking_link_requested.send(booking)


def waiting_count(event_id: int) -> int:
    """How many bookings wait for seats at the event."""
    return (
        db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.event_id == event_id, Booking.status == BookingStatus.WAITLISTED
            )
        )
        or 0
    )


def waiting_position(booking: Booking) -> int | None:
    """A waitlisted booking's place in its event's queue (1 = next), else None.

    The queue is the order promotion walks (:func:`promote_waiting`): by registration time.
    """
    if booking.status != BookingStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.event_id == booking.event_id,
            Booking.status == BookingStatus.WAITLISTED,
            (Booking.created_at < booking.created_at)
            | ((Booking.created_at == booking.created_at) & (Booking.id < booking.id)),
        )
    )
    return (ahead or 0) + 1


def _promote_after_capacity_raised(event: Event, **_kwargs: object) -> None:
    """New seats go to the waiting list at once, in the transaction that added them."""
    promote_waiting(event)


signals.event_capacity_raised.connect(_promote_after_capacity_raised)
