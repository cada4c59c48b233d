"""Bookings, the participants on each booking, and attendance.

Companies live in the register (webapp.companies); ``Company`` and ``SizeClass`` are
imported here too so that ``webapp.bookings.models`` keeps offering them to callers.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.companies.models import (
    MASTER_FIELDS,
    BalanceBand,
    Company,
    SizeClass,
    StaffBand,
    TurnoverBand,
)
from webapp.db import UTCDateTime, db, str_enum, utcnow
from webapp.events.models import Event, EventSession
from webapp.organisations.models import PrivacyNotice
from webapp.tokens import new_nonce


class BookingStatus(enum.StrEnum):
    PENDING = "pending"  # waits for organisers' approval, holds no seat
    CONFIRMED = "confirmed"  # holds its participants' seats
    WAITLISTED = "waitlisted"  # did not fit; promoted in order when seats free up
    DECLINED = "declined"  # not selected by the organisers
    CANCELLED = "cancelled"  # by the company or an organiser

    @property
    def label(self) -> str:
        return str(_BOOKING_STATUS_LABELS[self])


# One booking's status, so singular in Swedish ("Bekräftad"); the context keeps these apart
# from the same English words elsewhere ("Cancelled" event = "Inställt").
_BOOKING_STATUS_LABELS = {
    BookingStatus.PENDING: _l("Awaiting approval"),
    BookingStatus.CONFIRMED: lazy_pgettext("booking status", "Confirmed"),
    BookingStatus.WAITLISTED: _l("On the waiting list"),
    BookingStatus.DECLINED: _l("Not selected"),
    BookingStatus.CANCELLED: lazy_pgettext("booking status", "Cancelled"),
}


#: Bookings that still count towards a company's limit and may still take part.
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


class Gender(enum.StrEnum):
    """Asked only for the funders' aggregate statistics; optional."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


class Booking(db.Model):
    """One company's registration for one event, with one or more participants."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("seats_held >= 0", name="seats_held_not_negative"),
        # Promotion walks an event's waiting list in order.
        Index("ix_bookings_event_status_created", "event_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus, "booking_status"))
    #: Seats this booking holds in events.seats_taken (its participants while confirmed, else 0).
    seats_held: Mapped[int] = mapped_column(Integer, default=0)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    #: Language the booking was made in; emails follow it.
    language: Mapped[str] = mapped_column(String(5), default="sv")
    #: Version of the privacy notice the contact agreed to, and when.
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The running organisation's privacy notice as it read when the contact agreed to it
    #: (None for bookings an organiser added, and for those made before notices had versions).
    privacy_notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("privacy_notices.id"), index=True
    )
    #: Separate opt-in to invitations to future events.
    invitations_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the opt-in was withdrawn (one-click unsubscribe by the contact's address).
    invitations_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Random part of the manage link's HMAC (bookings.tokens); replacing it revokes the link.
    token_nonce: Mapped[str] = mapped_column(String(32))
    #: Random part of the booking contact's calendar feed token (bookings.calendar); replacing
    #: it revokes the feed URL without touching the manage link.
    feed_nonce: Mapped[str] = mapped_column(String(32), default=new_nonce)
    #: SHA-256 of the submitted form's key (bound to the browser's session), so a form
    #: sent twice makes one booking; the key itself is never stored.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Free text from the company to the organiser.
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the contact's name, email and phone were replaced (retention or erasure).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the registrant declared about the company. The register's master data is not
    # changed by a booking (webapp.companies); organisers see these where they differ.
    # None on bookings made before the register kept them.
    declared_country: Mapped[str | None] = mapped_column(String(2))
    declared_org_number: Mapped[str | None] = mapped_column(String(40))
    declared_name: Mapped[str | None] = mapped_column(String(200))
    declared_county: Mapped[str | None] = mapped_column(String(2))
    declared_size_class: Mapped[SizeClass | None] = mapped_column(
        str_enum(SizeClass, "declared_size_class")
    )
    declared_industry_code: Mapped[str | None] = mapped_column(String(10))
    #: The bands the declared size class was derived from (webapp.companies.models).
    declared_staff_band: Mapped[StaffBand | None] = mapped_column(
        str_enum(StaffBand, "declared_staff_band")
    )
    declared_turnover_band: Mapped[TurnoverBand | None] = mapped_column(
        str_enum(TurnoverBand, "declared_turnover_band")
    )
    declared_balance_band: Mapped[BalanceBand | None] = mapped_column(
        str_enum(BalanceBand, "declared_balance_band")
    )

    event: Mapped[Event] = relationship()
    privacy_notice: Mapped[PrivacyNotice | None] = relationship()
    company: Mapped[Company] = relationship(back_populates="bookings")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="booking", order_by="Participant.id", cascade="all, delete-orphan"
    )

    @property
    def active_participants(self) -> list[Participant]:
        return [p for p in self.participants if p.cancelled_at is None]

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def declared_differences(self) -> list[tuple[str, object, object]]:
        """``(field, in the register, declared)`` for each declared value that differs."""
        differences = []
        for name in MASTER_FIELDS:
            declared = getattr(self, f"declared_{name}")
            registered = getattr(self.company, name)
            if declared is not None and declared != registered:
                differences.append((name, registered, declared))
        return differences


class Participant(db.Model):
    """A person who takes part on behalf of a company."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    #: Role or title at the company, optional.
    role: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    dietary_needs: Mapped[str | None] = mapped_column(String(500))
    accessibility_needs: Mapped[str | None] = mapped_column(String(500))
    #: Random part of the personal calendar feed token; replacing it revokes the feed URL.
    #: Random (tokens.new_nonce), so unique per row: it is also the sentinel that lets
    #: several participants go in with one ``INSERT … RETURNING`` on SQLite too (SQLAlchemy
    #: "insertmanyvalues"), which refuses a batch in which two share one.
    feed_nonce: Mapped[str] = mapped_column(String(32), insert_sentinel=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when removed from the booking; kept for the record, holds no seat.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When they asked (one-click unsubscribe) for no more reminders and messages to many
    #: recipients; None while they get them.
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When name, email, role and needs were replaced (retention or erasure); gender,
    #: company and attendance stay for the funders' figures.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped[Booking] = relationship(back_populates="participants")


class Attendance(db.Model):
    """Whether one participant was present at one session, as marked by an organiser."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("participant_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE"), index=True
    )
    present: Mapped[bool] = mapped_column(Boolean)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participant: Mapped[Participant] = relationship()
    session: Mapped[EventSession] = relationship()
