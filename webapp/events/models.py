"""Events and their sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import UTCDateTime, db, str_enum, utcnow
from webapp.i18n import AuthoredText, current_language
from webapp.organisations.models import Organisation, Project

DAY_MINUTES = 24 * 60
DEFAULT_REMINDER_OFFSETS = [7 * DAY_MINUTES, DAY_MINUTES]  # minutes before: 7 days, 1 day


#: The second language organisers may write an event in; the plain columns hold the
#: content language's text (CONTENT_LANGUAGE, Swedish), ``<name>_en`` the English.
TRANSLATION_LANGUAGE = "en"


class Translated:
    """Text an organiser gives in the content language and, optionally, in English.

    ``text(name)`` is the one way pages, feeds, the API and emails read such a field: in
    English the English text where there is one, else the main text. The result carries
    its language (:class:`webapp.i18n.AuthoredText`), so ``|authored`` marks Swedish text on
    an English page and leaves English text alone.
    """

    #: The fields that have an ``_en`` twin.
    translated_fields: tuple[str, ...] = ()

    def text(self, name: str, language: str | None = None) -> AuthoredText:
        """Field ``name`` in ``language`` (default: the page's or email's language)."""
        if name not in self.translated_fields:
            raise KeyError(name)
        language = language or current_language()
        if language == TRANSLATION_LANGUAGE:
            english = getattr(self, f"{name}_{TRANSLATION_LANGUAGE}")
            if english:
                return AuthoredText(english, TRANSLATION_LANGUAGE)
        return AuthoredText(getattr(self, name) or "", current_app.config["CONTENT_LANGUAGE"])

    def missing_translations(self) -> list[str]:
        """The fields with main text but no English, in form order."""
        return [
            name
            for name in self.translated_fields
            if (getattr(self, name) or "").strip()
            and not (getattr(self, f"{name}_{TRANSLATION_LANGUAGE}") or "").strip()
        ]


#: How the note on the organiser's pages names a missing translation.
_TRANSLATION_LABELS = {
    "title": _l("title"),
    "summary": _l("summary"),
    "description": _l("description"),
    "venue": _l("venue"),
    "practical_info": _l("practical information"),
    "session_titles": _l("session titles"),
}


def translation_label(name: str) -> str:
    """The name of a translated field in the note "Missing in English: …"."""
    return str(_TRANSLATION_LABELS[name])


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


def default_reminder_plan(kind: EventKind) -> tuple[list[int], list[int]]:
    """A new event's reminders by kind: (minutes before each session that gets reminders,
    minutes before the first session only).

    A workshop series: the day before each session, and a week before the first only (a
    week before every session would pile up when sessions are a week apart). A webinar:
    also an hour before, when a join link is easiest lost. Others: a week and a day before.
    """
    if kind == EventKind.WORKSHOP_SERIES:
        return [DAY_MINUTES], [7 * DAY_MINUTES]
    if kind == EventKind.WEBINAR:
        return [*DEFAULT_REMINDER_OFFSETS, 60], []
    return list(DEFAULT_REMINDER_OFFSETS), []


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


class Event(Translated, db.Model):
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
    #: The same four in English, read through ``text()``; None or "" when not translated.
    title_en: Mapped[str | None] = mapped_column(String(200))
    summary_en: Mapped[str | None] = mapped_column(String(500))
    description_en: Mapped[str | None] = mapped_column(Text)
    venue_en: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    #: County code where the event takes place (filter on the list page).
    county: Mapped[str | None] = mapped_column(String(2), index=True)
    #: ISO country code where the event takes place (study trips go abroad).
    country: Mapped[str] = mapped_column(String(2), default="SE")
    #: Join link for online events. Never shown publicly: only to registered participants.
    online_url: Mapped[str | None] = mapped_column(String(500))
    #: Seats for participants (not bookings); None means unlimited.
    capacity: Mapped[int | None] = mapped_column(Integer)
    #: Seats held by confirmed bookings; changed only by the atomic statements in
    #: bookings.services, which leave ``updated_at`` as it is and set ``seats_changed_at``.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When ``seats_taken`` last changed (None: not since migration 0020_seats). Seats are
    #: not the event's content: a booking must not date the event's iCal VEVENTs anew, so
    #: the pages that show seats left read this (webapp.events.page_versions) instead.
    seats_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: Most participants one company may register; None means no limit.
    max_per_company: Mapped[int | None] = mapped_column(Integer)
    #: Registration opens at publication when None.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Registration closes at the start of the first session when None.
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Organisers select the companies (study trips): bookings wait as pending, take no seat.
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Minutes before each session that gets reminders (every session of a workshop
    #: series, else the first) that reminders go out; whole days count on the Stockholm
    #: wall clock (notifications.outbox.reminder_due).
    reminder_offsets: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_OFFSETS)
    )
    #: Minutes before the first session only (a series' "a week before the start").
    first_reminder_offsets: Mapped[list[int]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    #: What to bring, how to get there: in the confirmation, every reminder and on the
    #: manage page. Swedish (or the only language given).
    practical_info: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The same in English; emails in English fall back to ``practical_info`` when empty.
    practical_info_en: Mapped[str] = mapped_column(Text, default="", server_default="")
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
    #: Last change to the event's content (not its seats: ``seats_changed_at``).
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    translated_fields = ("title", "summary", "description", "venue", "practical_info")

    organisation: Mapped[Organisation] = relationship(back_populates="events")
    project: Mapped[Project | None] = relationship(back_populates="events")
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event",
        order_by="EventSession.starts_at",
        cascade="all, delete-orphan",
    )

    def practical_info_for(self, language: str) -> str:
        """The practical information in ``language``, else in the other one."""
        if language == "en":
            return self.practical_info_en or self.practical_info or ""
        return self.practical_info or self.practical_info_en or ""

    @property
    def is_online(self) -> bool:
        return self.kind == EventKind.WEBINAR or (bool(self.online_url) and not self.venue)

    @property
    def seats_left(self) -> int | None:
        """Free seats, or None when capacity is unlimited."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    def missing_translations(self) -> list[str]:
        """The event's fields without English, and ``session_titles`` when a live
        session's title has none (reads the sessions: load them with the event)."""
        missing = super().missing_translations()
        if any(s.missing_translations() for s in self.sessions if s.cancelled_at is None):
            missing.append("session_titles")
        return missing

    def closes_at(self) -> datetime | None:
        """When registration closes: the set time, or else the first session's start."""
        return self.registration_closes_at or self.starts_at


class EventSession(Translated, db.Model):
    """One dated part of an event: the only session of a webinar, a day of a conference, ..."""

    __tablename__ = "event_sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Optional title, e.g. "Energy mapping" for one session of a workshop series.
    title: Mapped[str | None] = mapped_column(String(200))
    #: The session title in English, read through ``text("title")``.
    title_en: Mapped[str | None] = mapped_column(String(200))
    #: Overrides the event's venue for this session (a trip's second day elsewhere).
    venue: Mapped[str | None] = mapped_column(String(300))
    #: Set when this one session is called off while the event goes on.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last change to this row; with Event.updated_at it dates the session's iCal VEVENT
    #: (DTSTAMP, LAST-MODIFIED) and the feeds' ETag, so a session-only edit is news too.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    translated_fields = ("title",)

    event: Mapped[Event] = relationship(back_populates="sessions")
