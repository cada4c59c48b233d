"""Events and their sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import UTCDateTime, db, str_enum, utcnow
from webapp.organisations.models import Organisation, Project

DEFAULT_REMINDER_OFFSETS = [7 * 24 * 60, 24 * 60]  # minutes before the session: 7 days, 1 day


class EventKind(enum.StrEnum):
    STUDY_TRIP = "study_trip"
    WEBINAR = "webinar"
    CONFERENCE = "conference"
    WORKSHOP_SERIES = "workshop_series"

    @property
    def label(self) -> str:
        return str(_KIND_LABELS[self])

    @property
    def lazy_label(self) -> LazyString:
        """The label translated when shown: for choices built at import time (forms)."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    EventKind.STUDY_TRIP: _l("Study trip"),
    EventKind.WEBINAR: _l("Webinar"),
    EventKind.CONFERENCE: _l("Conference"),
    EventKind.WORKSHOP_SERIES: _l("Workshop series"),
}


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(_STATUS_LABELS[self])


_STATUS_LABELS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
}


class Event(db.Model):
    """Something companies register for: a study trip, webinar, conference or workshop series."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        CheckConstraint(
            "capacity IS NULL OR seats_taken <= capacity", name="seats_taken_within_capacity"
        ),
        CheckConstraint(
            "max_per_company IS NULL OR max_per_company >= 1", name="max_per_company_positive"
        ),
        # The list sorts upcoming events by start (then id: the API's keyset cursor), and
        # finds them by end (still running).
        Index("ix_events_status_starts_at_id", "status", "starts_at", "id"),
        Index("ix_events_status_ends_at", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"))
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    title: Mapped[str] = mapped_column(String(200))
    #: One or two sentences for the list page.
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: Plain text; paragraphs separated by blank lines.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Venue name and street address; empty for online events.
    venue: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    #: County code where the event takes place (filter on the list page).
    county: Mapped[str | None] = mapped_column(String(2), index=True)
    #: ISO country code where the event takes place (study trips go abroad).
    country: Mapped[str] = mapped_column(String(2), default="SE")
    #: Join link for online events. Never shown publicly: only to registered participants.
    online_url: Mapped[str | None] = mapped_column(String(500))
    #: Seats for participants (not bookings); None means unlimited.
    capacity: Mapped[int | None] = mapped_column(Integer)
    #: Seats held by confirmed bookings; changed only by the atomic statements in bookings.capacity.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Most participants one company may register; None means no limit.
    max_per_company: Mapped[int | None] = mapped_column(Integer)
    #: Registration opens at publication when None.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Registration closes at the start of the first session when None.
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Organisers select the companies (study trips): bookings wait as pending, take no seat.
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Minutes before a session that reminders go out.
    reminder_offsets: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_OFFSETS)
    )
    #: iCal SEQUENCE: grows whenever times, place or status change.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: First session's start and last session's end, kept by events.services.sync_span so the
    #: list can sort and filter on an index instead of aggregating sessions per page.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The start it had before it was last moved while published (schema.org
    #: EventRescheduled, previousStartDate); None when it never moved after publication.
    previous_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="events")
    project: Mapped[Project | None] = relationship(back_populates="events")
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event",
        order_by="EventSession.starts_at",
        cascade="all, delete-orphan",
    )

    @property
    def is_online(self) -> bool:
        return self.kind == EventKind.WEBINAR or (bool(self.online_url) and not self.venue)

    @property
    def seats_left(self) -> int | None:
        """Free seats, or None when capacity is unlimited."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    def closes_at(self) -> datetime | None:
        """When registration closes: the set time, or else the first session's start."""
        return self.registration_closes_at or self.starts_at


class EventSession(db.Model):
    """One dated part of an event: the only session of a webinar, a day of a conference, ..."""

    __tablename__ = "event_sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Optional title, e.g. "Energy mapping" for one session of a workshop series.
    title: Mapped[str | None] = mapped_column(String(200))
    #: Overrides the event's venue for this session (a trip's second day elsewhere).
    venue: Mapped[str | None] = mapped_column(String(300))
    #: Set when this one session is called off while the event goes on.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last change to this row; with Event.updated_at it dates the session's iCal VEVENT
    #: (DTSTAMP, LAST-MODIFIED) and the feeds' ETag, so a session-only edit is news too.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    event: Mapped[Event] = relationship(back_populates="sessions")
