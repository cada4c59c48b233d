"""A person's requests: a copy of everything stored about them, and erasure.

Both are for admins of an organisation and cover that organisation's events only: the
person is found by email address (as participant and as booking contact, case
insensitive). Erasure anonymises (webapp.privacy.anonymise); on events that have not
ended the person also gives up their place first, through the normal booking rules
(webapp.bookings.services): a participant is taken off the booking, and a booking left
with nobody is cancelled, so its seats go to the waiting list. Past events keep their
bookings as they were, so the reports count them as before. The audit log says that an
erasure happened, by whom and how many rows it touched, never whose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from webapp.accounts.models import User
from webapp.bookings import services
from webapp.bookings.models import Attendance, Booking, Participant
from webapp.db import begin_write, db, utcnow
from webapp.errors import RuleViolation
from webapp.events.models import Event
from webapp.feedback.models import FeedbackAnswer
from webapp.notifications.models import OutboxMessage
from webapp.organisations import audit
from webapp.organisations.models import Role
from webapp.organisations.services import require_role
from webapp.privacy import anonymise
from webapp.questions.answers import display
from webapp.questions.models import Answer


class PrivacyError(RuleViolation):
    default = _l("That request could not be carried out.")


@dataclass
class Person:
    """What the organisation stores about one address."""

    email: str
    participants: list[Participant]
    contact_bookings: list[Booking]
    messages: list[OutboxMessage]
    attendance: list[Attendance]
    #: Their answers to events' evaluations (webapp.feedback), while linked to them.
    feedback: list[FeedbackAnswer] = field(default_factory=list)
    #: Their answers to events' registration questions (webapp.questions): their own, and
    #: the bookings' they are the contact of.
    answers: list[Answer] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.participants or self.contact_bookings or self.messages)


def _address(email: str) -> str:
    address = (email or "").strip().lower()
    if "@" not in address or len(address) > 254:
        raise PrivacyError(_l("Enter the person's email address."), field="email")
    return address


def find_person(user: User, organisation_id: int, email: str) -> Person:
    """Everything about ``email`` in the organisation's events. Needs admin."""
    require_role(user, organisation_id, Role.ADMIN)
    address = _address(email)
    events = select(Event.id).where(Event.organisation_id == organisation_id)
    participants = list(
        db.session.scalars(
            select(Participant)
            .join(Booking)
            .where(Booking.event_id.in_(events), func.lower(Participant.email) == address)
            .options(selectinload(Participant.booking).selectinload(Booking.event))
            .order_by(Participant.id)
        )
    )
    contact_bookings = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.event_id.in_(events), func.lower(Booking.contact_email) == address)
            .options(
                selectinload(Booking.event),
                selectinload(Booking.company),
                selectinload(Booking.privacy_notice),
            )
            .order_by(Booking.id)
        )
    )
    participant_ids = [p.id for p in participants]
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.event_id.in_(events),
                or_(
                    func.lower(OutboxMessage.recipient_email) == address,
                    OutboxMessage.participant_id.in_(participant_ids),
                ),
            )
            .order_by(OutboxMessage.id)
        )
    )
    attendance = list(
        db.session.scalars(
            select(Attendance)
            .where(Attendance.participant_id.in_(participant_ids))
            .options(selectinload(Attendance.session))
            .order_by(Attendance.id)
        )
    )
    feedback = list(
        db.session.scalars(
            select(FeedbackAnswer)
            .where(FeedbackAnswer.participant_id.in_(participant_ids))
            .order_by(FeedbackAnswer.id)
        )
    )
    answers = list(
        db.session.scalars(
            select(Answer)
            .where(
                or_(
                    Answer.participant_id.in_(participant_ids),
                    Answer.booking_id.in_([b.id for b in contact_bookings])
                    & Answer.participant_id.is_(None),
                )
            )
            .options(selectinload(Answer.question))
            .order_by(Answer.id)
        )
    )
    return Person(address, participants, contact_bookings, messages, attendance, feedback, answers)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _booking(booking: Booking) -> dict[str, Any]:
    notice = booking.privacy_notice
    return {
        "id": booking.id,
        "event": booking.event.title,
        "event_starts_at": _when(booking.event.starts_at),
        "company": booking.company.name,
        "company_org_number": booking.company.org_number,
        "status": booking.status.value,
        "contact_name": booking.contact_name,
        "contact_email": booking.contact_email,
        "contact_phone": booking.contact_phone,
        "language": booking.language,
        "message": booking.message,
        "invitations_opt_in": booking.invitations_opt_in,
        "invitations_withdrawn_at": _when(booking.invitations_withdrawn_at),
        "created_at": _when(booking.created_at),
        "cancelled_at": _when(booking.cancelled_at),
        "consent": {
            "version": booking.consent_version,
            "agreed_at": _when(booking.consent_at),
            "notice_version": notice.version if notice else None,
            "notice_text_sv": notice.text_sv if notice else None,
            "notice_text_en": notice.text_en if notice else None,
        },
    }


def export(person: Person) -> dict[str, Any]:
    """The person's data as plain JSON-ready values (the HTML page shows the same)."""
    return {
        "email": person.email,
        "exported_at": utcnow().isoformat(),
        "bookings_as_contact": [_booking(b) for b in person.contact_bookings],
        "participations": [
            {
                "id": p.id,
                "booking_id": p.booking_id,
                "event": p.booking.event.title,
                "name": p.name,
                "email": p.email,
                "role": p.role,
                "gender": p.gender.value if p.gender else None,
                "dietary_needs": p.dietary_needs,
                "accessibility_needs": p.accessibility_needs,
                "created_at": _when(p.created_at),
                "cancelled_at": _when(p.cancelled_at),
                "unsubscribed_at": _when(p.unsubscribed_at),
            }
            for p in person.participants
        ],
        "attendance": [
            {
                "participant_id": a.participant_id,
                "session_starts_at": _when(a.session.starts_at),
                "session_ends_at": _when(a.session.ends_at),
                "present": a.present,
                "marked_at": _when(a.marked_at),
            }
            for a in person.attendance
        ],
        "evaluation_answers": [
            {
                "participant_id": a.participant_id,
                "event_id": a.event_id,
                "overall": a.overall,
                "usefulness": a.usefulness,
                "answer_1": a.answer_1,
                "answer_2": a.answer_2,
                "answered_at": _when(a.created_at),
            }
            for a in person.feedback
        ],
        "registration_answers": [
            {
                "booking_id": a.booking_id,
                "participant_id": a.participant_id,
                "question": a.question.text_sv,
                "answer": display(a.question, a, "sv"),
                "stored_value": a.value,
                "answered_at": _when(a.created_at),
            }
            for a in person.answers
        ],
        "emails": [
            {
                "id": m.id,
                "kind": m.kind.value,
                "status": m.status.value,
                "recipient_email": m.recipient_email,
                "recipient_name": m.recipient_name,
                "payload": m.payload,
                "due_at": _when(m.due_at),
                "sent_at": _when(m.sent_at),
                "content_erased_at": _when(m.content_erased_at),
            }
            for m in person.messages
        ],
    }


@dataclass(frozen=True)
class Erased:
    participants: int
    contacts: int
    cancelled_bookings: int


def erase(user: User, organisation_id: int, email: str, now: datetime | None = None) -> Erased:
    """Erase the person from the organisation's bookings (see the module); flushes."""
    now = now or utcnow()
    begin_write()
    person = find_person(user, organisation_id, email)
    if not person.found:
        raise PrivacyError(_l("Nothing is stored about that address."), field="email")
    erased_ids = {p.id for p in person.participants}
    cancelled = 0
    for booking in {p.booking for p in person.participants if p.cancelled_at is None}:
        if not booking.is_active or _ended(booking.event, now):
            continue
        leaving = [p for p in booking.active_participants if p.id in erased_ids]
        if len(leaving) == len(booking.active_participants):
            services.cancel(booking.id, by_organiser=True, now=now)
            cancelled += 1
        else:
            for participant in leaving:
                services.remove_participant(booking.id, participant.id, by_organiser=True, now=now)
    anonymise.anonymise(erased_ids, [b.id for b in person.contact_bookings], now)
    result = Erased(len(erased_ids), len(person.contact_bookings), cancelled)
    audit.record(
        user,
        "privacy.erased",
        organisation_id=organisation_id,
        participants=result.participants,
        contacts=result.contacts,
        cancelled_bookings=result.cancelled_bookings,
    )
    return result


def _ended(event: Event, now: datetime) -> bool:
    end = event.ends_at or event.starts_at
    return end is not None and end < now


def erase_participant_of_booking(booking: Booking, participant_id: int) -> None:
    """The booking contact's erasure of one participant (from the manage link); flushes.

    On an event that has not ended the participant leaves the booking (the booking rules
    apply: not after the start, not the last participant); then they are anonymised.
    """
    now = utcnow()
    participant = next((p for p in booking.participants if p.id == participant_id), None)
    if participant is None or participant.anonymised_at is not None:
        raise PrivacyError(_l("That participant is not on this booking."))
    if participant.cancelled_at is None and booking.is_active:
        services.remove_participant(booking.id, participant.id, now=now)
    anonymise.anonymise([participant.id], [], now)
    audit.record(
        None,
        "privacy.erased",
        organisation_id=booking.event.organisation_id,
        event_id=booking.event_id,
        booking_id=booking.id,
        participants=1,
        by="booking contact",
    )
