"""iCalendar output: one VEVENT per event session, as bytes ready to serve or attach.

These are pure functions: sessions in, bytes out. They read no clock and no database, so
the same data always gives byte-identical output. That is what lets the feeds answer
conditional GETs with a stable ETag, and what keeps subscribed clients from seeing a change
where there is none. ``DTSTAMP`` and ``LAST-MODIFIED`` are therefore the session's last
change (:func:`changed_at`), never "now". A booking is no change to a VEVENT: taking or
freeing seats leaves ``Event.updated_at`` as it was (``webapp.bookings.services``), so
a registration does not give every session of its event a new stamp in every calendar
subscribed to it.

The sessions come as plain values (:class:`SessionFacts`): feeds select exactly their
columns in one query (``webapp.events.feeds.feed_sessions``), no ORM objects; a loaded
:class:`Event` gives them through :func:`facts_of`. The session VEVENTs are written here
line by line, byte for byte what icalendar writes for the same values (the tests compare),
because icalendar's work per component was most of the time a large feed took; icalendar
still writes the calendar's head, the VTIMEZONE and the ``extra`` components.

Choices that keep real clients well behaved:

- ``METHOD:PUBLISH`` everywhere and no ``ORGANIZER`` or ``ATTENDEE``: a VEVENT with an
  organiser address makes Outlook and Google treat it as a meeting invitation and offer to
  send replies to it, so the organiser's name goes into ``DESCRIPTION`` instead.
- Times carry ``TZID=Europe/Stockholm`` with a compact VTIMEZONE built from the EU rule
  (``RRULE``, valid since 1996, which covers every session a feed can hold), which every
  client understands, instead of a list of dated transitions.
- Cancelled events and sessions stay in the output with ``STATUS:CANCELLED`` and a
  "Cancelled:" prefix, because Google Calendar ignores the status in subscriptions.
- Lines are folded by octets and never inside a backslash escape or a UTF-8 sequence
  (:func:`fold`), which some parsers do not survive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vDuration, vText
from icalendar import Event as VEvent
from sqlalchemy import ColumnElement

from webapp.config import public_base_url
from webapp.events.models import Event, EventKind, EventSession, EventStatus, Translated
from webapp.i18n import STOCKHOLM
from webapp.organisations.models import Organisation

PRODID = "-//Träffpunkt//Event calendar//EN"
TZID = "Europe/Stockholm"
#: How often subscribed clients should fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
#: RFC 5545: content lines SHOULD NOT be longer than 75 octets, excluding the line break.
LINE_OCTETS = 75


@dataclass(frozen=True)
class EventFacts(Translated):
    """What the VEVENTs of an event read from it: columns of its row (:func:`event_columns`)
    and its organisation's name."""

    id: int
    kind: EventKind
    status: EventStatus
    sequence: int
    updated_at: datetime
    title: str
    title_en: str | None
    summary: str
    summary_en: str | None
    venue: str | None
    venue_en: str | None
    city: str | None
    online_url: str | None
    organisation_name: str

    translated_fields = ("title", "summary", "venue")
    is_online = Event.is_online  # the same rule, on the same attribute names


@dataclass(frozen=True)
class SessionFacts(Translated):
    """What one session's VEVENT reads: columns of its row, its place in the event's series
    (``position`` of ``of``, counting sessions outside a feed's window too) and its event."""

    id: int
    starts_at: datetime
    ends_at: datetime
    title: str | None
    title_en: str | None
    venue: str | None
    cancelled_at: datetime | None
    updated_at: datetime
    position: int
    of: int
    event: EventFacts

    translated_fields = ("title",)


#: The fields of EventFacts and SessionFacts that are columns of the same name.
_EVENT_FIELDS = tuple(f.name for f in fields(EventFacts))[:-1]
_SESSION_FIELDS = tuple(f.name for f in fields(SessionFacts))[:-3]


def event_columns() -> list[ColumnElement]:
    """The columns an :class:`EventFacts` is made of, in its order (join the organisation)."""
    return [*(getattr(Event, name) for name in _EVENT_FIELDS), Organisation.name]


def session_columns() -> list[ColumnElement]:
    """The columns that start a :class:`SessionFacts`, in its order (``position``, ``of`` and
    the event follow)."""
    return [getattr(EventSession, name) for name in _SESSION_FIELDS]


def facts_of(event: Event) -> list[SessionFacts]:
    """A loaded event's sessions (read with its organisation) as the builder takes them."""
    facts = EventFacts(*(getattr(event, name) for name in _EVENT_FIELDS), event.organisation.name)
    return [
        SessionFacts(
            *(getattr(session, name) for name in _SESSION_FIELDS),
            position,
            len(event.sessions),
            facts,
        )
        for position, session in enumerate(event.sessions, start=1)
    ]


def session_uid(session_id: int, base_url: str) -> str:
    """The UID of a session's VEVENT: stable forever, never derived from times or titles."""
    return f"session-{session_id}@{urlsplit(base_url).hostname or 'localhost'}"


def event_url(event_id: int, base_url: str) -> str:
    """The public page of an event.

    Built from the base URL rather than ``url_for`` so that it also works outside a request
    (emails built by the scheduler); it mirrors the ``events.detail`` route.
    """
    return f"{base_url.rstrip('/')}/events/{event_id}"


def changed_at(session: SessionFacts) -> datetime:
    """When the session's VEVENT last changed: its own row, its event or its cancellation."""
    moments = [session.event.updated_at, session.updated_at, session.cancelled_at]
    return max(m for m in moments if m is not None)


def is_cancelled(session: SessionFacts) -> bool:
    return session.cancelled_at is not None or session.event.status == EventStatus.CANCELLED


def summary(session: SessionFacts) -> str:
    """The title, with the session's place in a series ("2/4") and its own title.

    Titles, summary and venue are in the calendar's language where the event has them in it
    (``text()``; the language is forced by :func:`build_calendar`).
    """
    text = session.event.text("title")
    if session.of > 1:
        text += f" ({session.position}/{session.of})"
    if session.title:
        text += f": {session.text('title')}"
    if is_cancelled(session):
        text = _("Cancelled: %(title)s", title=text)
    return text


def location(session: SessionFacts, include_join_url: bool) -> str | None:
    event = session.event
    venue = session.venue or event.text("venue")
    if venue or not event.is_online:
        parts = [venue, event.city]
        return ", ".join(p for p in parts if p) or None
    if include_join_url and event.online_url:
        # Outlook and Google make a URL in LOCATION a "join" link.
        return event.online_url
    return _("Online")


def description(session: SessionFacts, base_url: str, include_join_url: bool) -> str:
    event = session.event
    paragraphs = []
    if is_cancelled(session):
        paragraphs.append(_("This event has been cancelled."))
    if event.summary:
        paragraphs.append(event.text("summary"))
    if include_join_url and event.online_url:
        paragraphs.append(_("Join online: %(url)s", url=event.online_url))
    paragraphs.append(_("Organiser: %(name)s", name=event.organisation_name))
    paragraphs.append(_("More information: %(url)s", url=event_url(event.id, base_url)))
    return "\n\n".join(paragraphs)


def _line(name: str, value: bytes) -> bytes:
    """One content line, folded (:func:`fold`), with its line break."""
    line = name.encode() + b":" + value
    return (_fold_line(line) if len(line) > LINE_OCTETS else line) + b"\r\n"


def _text(value: str) -> bytes:
    return vText(value).to_ical()


def _local(moment: datetime) -> bytes:
    """A DATE-TIME on the Stockholm wall clock, for ``;TZID=Europe/Stockholm``."""
    return _date_time(moment.astimezone(STOCKHOLM)).encode()


def _utc(moment: datetime) -> bytes:
    """A DATE-TIME in UTC (form 2), as DTSTAMP and LAST-MODIFIED must be."""
    return (_date_time(moment.astimezone(UTC)) + "Z").encode()


def _date_time(t: datetime) -> str:
    return f"{t.year:04}{t.month:02}{t.day:02}T{t.hour:02}{t.minute:02}{t.second:02}"


class _VEvents:
    """Writes one calendar's session VEVENTs: byte for byte what icalendar writes for
    ``Event().add(...)`` of the values below (same property order, escaping and types, the
    tests compare), folded like :func:`fold`. Writing the lines directly, and each event's
    shared lines once for all its sessions, takes a fraction of icalendar's time per
    component, which is most of the time a large feed takes."""

    def __init__(self, base_url: str, include_join_url: bool) -> None:
        self.base_url = base_url
        self.include_join_url = include_join_url
        #: What follows the session's id in its UID (:func:`session_uid`).
        self.uid_suffix = _text(session_uid(0, base_url).removeprefix("session-0"))
        #: Per event (and cancellation, and session venue): the lines all its sessions share.
        self.shared: dict[tuple[object, ...], tuple[bytes, bytes]] = {}

    def __call__(self, session: SessionFacts) -> bytes:
        event = session.event
        cancelled = is_cancelled(session)
        key = (event.id, cancelled, session.venue)
        shared = self.shared.get(key)
        if shared is None:
            where = location(session, self.include_join_url)
            shared = self.shared[key] = (
                _line("SEQUENCE", str(event.sequence).encode())
                + _line(
                    "DESCRIPTION",
                    _text(description(session, self.base_url, self.include_join_url)),
                ),
                (_line("LOCATION", _text(where)) if where else b"")
                + _line("STATUS", b"CANCELLED" if cancelled else b"CONFIRMED")
                + _line("URL", event_url(event.id, self.base_url).encode()),
            )
        stamp = _utc(changed_at(session))
        return b"".join(
            (
                b"BEGIN:VEVENT\r\n",
                _line("SUMMARY", _text(summary(session))),
                _line("DTSTART;TZID=" + TZID, _local(session.starts_at)),
                _line("DTEND;TZID=" + TZID, _local(session.ends_at)),
                _line("DTSTAMP", stamp),
                _line("UID", b"session-%d" % session.id + self.uid_suffix),
                shared[0],
                _line("LAST-MODIFIED", stamp),
                shared[1],
                b"END:VEVENT\r\n",
            )
        )


def vtimezone() -> Timezone:
    """Europe/Stockholm as a VTIMEZONE with the EU summer-time rule."""
    timezone = Timezone()
    timezone.add("tzid", TZID)
    timezone.add("x-lic-location", TZID)
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0))
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0))
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    timezone.add_component(summer)
    timezone.add_component(winter)
    return timezone


def fold(data: bytes) -> bytes:
    """Fold content lines at 75 octets, never inside an escape or a UTF-8 sequence.

    icalendar folds too, but may move the second half of an escaped backslash (``\\\\``)
    to the next line. Its folds are undone here and long lines folded again.
    """
    lines = data.replace(b"\r\n ", b"").split(b"\r\n")
    return b"\r\n".join(_fold_line(line) if len(line) > LINE_OCTETS else line for line in lines)


def _fold_line(line: bytes) -> bytes:
    pieces = []
    limit = LINE_OCTETS
    while len(line) > limit:
        cut = limit
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to the lead byte
            cut -= 1
        # Escaped text pairs backslashes from the start of a run, so an odd run before the
        # cut ends with an escape's first half: keep it with the character it escapes.
        run = len(line[:cut]) - len(line[:cut].rstrip(b"\\"))
        if run % 2:
            cut -= 1
        pieces.append(line[:cut])
        line = line[cut:]
        limit = LINE_OCTETS - 1  # continuation lines start with a space
    pieces.append(line)
    return b"\r\n ".join(pieces)


def build_calendar(
    sessions: Iterable[SessionFacts],
    *,
    name: str,
    base_url: str,
    include_join_url: bool,
    subscription: bool = True,
    language: str | None = None,
    extra: Iterable[VEvent] = (),
) -> bytes:
    """A ``METHOD:PUBLISH`` VCALENDAR with one VEVENT per session, in the order given, then
    the ``extra`` ones (a participant's meetings).

    ``include_join_url`` puts online events' join links in; only private feeds and emails to
    booked participants may set it. ``subscription`` adds the refresh hints a feed needs.
    The few words added to titles and descriptions are in ``language``; by default the
    request's language, or the default language outside a request.
    """
    if language is None and has_request_context():
        return _build(sessions, name, base_url, include_join_url, subscription, extra)
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _build(sessions, name, base_url, include_join_url, subscription, extra)


#: The end of the calendar head as icalendar writes it; the VEVENTs go before it.
_END = b"END:VCALENDAR\r\n"


def _build(
    sessions: Iterable[SessionFacts],
    name: str,
    base_url: str,
    include_join_url: bool,
    subscription: bool,
    extra: Iterable[VEvent] = (),
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # icalendar does not know these as text (X- names, RFC 7986's NAME), so it would
    # neither escape nor type them without being told.
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    calendar.add("x-wr-timezone", vText(TZID))
    if subscription:
        calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
    calendar.add_component(vtimezone())
    head = fold(calendar.to_ical())
    assert head.endswith(_END)
    vevent = _VEvents(base_url, include_join_url)
    return b"".join(
        (
            head.removesuffix(_END),
            *(vevent(session) for session in sessions),
            *(fold(component.to_ical()) for component in extra),
            _END,
        )
    )


def event_calendar(
    event: Event,
    *,
    include_join_url: bool,
    base_url: str | None = None,
    language: str | None = None,
) -> bytes:
    """All sessions of one event as a calendar file: the download and the email attachment.

    ``METHOD:PUBLISH``, so no client offers to send RSVPs. Emails about a change or a
    cancellation attach it again: the event's SEQUENCE has grown, so clients replace the
    entries they have. Needs an app context (``PUBLIC_BASE_URL``); pass the booking's
    ``language`` when building an email. Reads the event's organisation and sessions.
    """
    return build_calendar(
        facts_of(event),
        name=event.text("title", language),
        base_url=base_url or public_base_url(),
        include_join_url=include_join_url,
        subscription=False,
        language=language,
    )
