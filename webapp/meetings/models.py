"""Meetings between participants of one event, in slots the organisers define, at tables.

The rules the database itself holds (the services check them first, with a message):

- an accepted meeting holds one table of its own slot: ``meetings.table_id`` is unique and
  the pair (table, slot) must be a table of the meeting's slot, so a slot never has more
  accepted meetings than tables; a meeting holds a table exactly while it is accepted;
- a person is in at most one accepted meeting per slot: each accepted meeting has one
  :class:`MeetingSeat` per side, unique per (slot, participant);
- nobody meets themselves.
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
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.bookings.models import Participant
from webapp.db import UTCDateTime, db, str_enum, utcnow
from webapp.events.models import Event

#: Longest message with a request, and longest profile texts (characters).
MESSAGE_MAX = 1000
OFFER_MAX = 500
DESCRIPTION_MAX = 1000


class MeetingStatus(enum.StrEnum):
    REQUESTED = "requested"  # waits for the other participant's answer
    ACCEPTED = "accepted"  # holds a table in its slot
    DECLINED = "declined"
    CANCELLED = "cancelled"  # by a participant, an organiser, or a cancelled booking

    @property
    def label(self) -> str:
        return str(_STATUS_LABELS[self])


_STATUS_LABELS = {
    MeetingStatus.REQUESTED: _l("Requested"),
    MeetingStatus.ACCEPTED: _l("Accepted"),
    MeetingStatus.DECLINED: lazy_pgettext("meeting status", "Declined"),
    MeetingStatus.CANCELLED: lazy_pgettext("meeting status", "Cancelled"),
}


class MeetingSettings(db.Model):
    """Whether an event offers meetings (no row: it does not)."""

    __tablename__ = "meeting_settings"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MeetingSlot(db.Model):
    """A time in which meetings take place, with its tables."""

    __tablename__ = "meeting_slots"
    __table_args__ = (
        UniqueConstraint("event_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    tables: Mapped[list[MeetingTable]] = relationship(
        back_populates="slot", order_by="MeetingTable.number", cascade="all, delete-orphan"
    )


class MeetingTable(db.Model):
    """One table (or room) of a slot; at most one accepted meeting holds it."""

    __tablename__ = "meeting_tables"
    __table_args__ = (
        UniqueConstraint("slot_id", "number"),
        # The target of meetings' (table, slot) key: a meeting's table is in its slot.
        UniqueConstraint("id", "slot_id"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id", ondelete="CASCADE"))
    #: 1, 2, ... within the slot; the name shown when there is none.
    number: Mapped[int] = mapped_column(Integer)
    #: "Rum Vänern", "Bord 4 (vid fönstret)"; optional.
    name: Mapped[str | None] = mapped_column(String(100))

    slot: Mapped[MeetingSlot] = relationship(back_populates="tables")

    @property
    def label(self) -> str:
        return self.name or str(_l("Table %(number)s", number=self.number))


class MeetingProfile(db.Model):
    """What a participant chose to show the event's other participants (never the email)."""

    __tablename__ = "meeting_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), unique=True
    )
    #: The participant's event (denormalised: the list of an event's profiles is one query).
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    company_name: Mapped[str] = mapped_column(String(200))
    offers: Mapped[str | None] = mapped_column(String(OFFER_MAX))
    seeks: Mapped[str | None] = mapped_column(String(OFFER_MAX))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    participant: Mapped[Participant] = relationship()


class Meeting(db.Model):
    """A request for a meeting in one slot, and what became of it."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("requester_id <> invitee_id", name="not_oneself"),
        CheckConstraint(
            "(status = 'accepted' AND table_id IS NOT NULL)"
            " OR (status <> 'accepted' AND table_id IS NULL)",
            name="table_while_accepted",
        ),
        # One accepted meeting per table; the table is one of the meeting's slot.
        UniqueConstraint("table_id"),
        ForeignKeyConstraint(
            ["table_id", "slot_id"],
            ["meeting_tables.id", "meeting_tables.slot_id"],
            name="fk_meetings_table_in_slot",
        ),
        # The target of the seats' (meeting, slot) key.
        UniqueConstraint("id", "slot_id"),
        Index("ix_meetings_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_slots.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    invitee_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    #: The requester's short message to the invitee.
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MeetingStatus] = mapped_column(
        str_enum(MeetingStatus, "meeting_status"), default=MeetingStatus.REQUESTED
    )
    #: The table it holds while accepted.
    table_id: Mapped[int | None] = mapped_column(Integer)
    #: Grows when an organiser moves it (iCal SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who cancelled: "participant", "organiser" or "booking" (a booking or place cancelled).
    cancelled_by: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    slot: Mapped[MeetingSlot] = relationship()
    table: Mapped[MeetingTable | None] = relationship(
        primaryjoin="foreign(Meeting.table_id) == MeetingTable.id", viewonly=True
    )
    requester: Mapped[Participant] = relationship(foreign_keys=[requester_id])
    invitee: Mapped[Participant] = relationship(foreign_keys=[invitee_id])

    def other(self, participant_id: int) -> Participant:
        """The other side of the meeting from ``participant_id``'s point of view."""
        return self.invitee if participant_id == self.requester_id else self.requester

    def involves(self, participant_id: int) -> bool:
        return participant_id in (self.requester_id, self.invitee_id)


class MeetingSeat(db.Model):
    """One side of an accepted meeting in its slot: nobody sits at two tables at once."""

    __tablename__ = "meeting_seats"
    __table_args__ = (
        UniqueConstraint("slot_id", "participant_id"),
        ForeignKeyConstraint(
            ["meeting_id", "slot_id"],
            ["meetings.id", "meetings.slot_id"],
            name="fk_meeting_seats_meeting_slot",
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(Integer, index=True)
    slot_id: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
