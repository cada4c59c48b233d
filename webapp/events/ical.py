"""iCalendar output: one VEVENT per event session, as bytes ready to serve or attach.

These are pure functions: sessions in, bytes out. They read no clock and no database, so
the same data always gives byte-identical output. That is what lets the feeds answer
conditional GETs with a stable ETag, and what keeps subscribed clients from seeing a change
where there is none. ``DTSTAMP`` and ``LAST-MODIFIED`` are therefore the session's last
change (:func:`changed_at`), never "now".

Callers load what is read here in bulk (``session.event``, the event's ``organisation`` and
``sessions``): the functions only walk attributes.

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
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vDuration, vText
from icalendar import Event as VEvent

from webapp.config import public_base_url
from webapp.events.models import Event, EventSession, EventStatus
from webapp.i18n import STOCKHOLM

PRODID = "-//Träffpunkt//Event calendar//EN"
TZID = "Europe/Stockholm"
#: How often subscribed clients should fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
#: RFC 5545: content lines SHOULD NOT be longer than 75 octets, excluding the line break.
LINE_OCTETS = 75


def session_uid(session_id: int, base_url: str) -> str:
    """The UID of a session's VEVENT: stable forever, never derived from times or titles."""
    return f"session-{session_id}@{urlsplit(base_url).hostname or 'localhost'}"


def event_url(event_id: int, base_url: str) -> str:
    """The public page of an event.

    Built from the base URL rather than ``url_for`` so that it also works outside a request
    (emails built by the scheduler); it mirrors the ``events.detail`` route.
    """
    return f"{base_url.rstrip('/')}/events/{event_id}"


def changed_at(session: EventSession) -> datetime:
    """When the session's VEVENT last changed: its own row, its event or its cancellation."""
    moments = [session.event.updated_at, session.updated_at, session.cancelled_at]
    return max(m for m in moments if m is not None)


def is_cancelled(session: EventSession) -> bool:
    return session.cancelled_at is not None or session.event.status == EventStatus.CANCELLED


def summary(session: EventSession) -> str:
    """The title, with the session's place in a series ("2/4") and its own title.

    Titles, summary and venue are in the calendar's language where the event has them in it
    (``Event.text``; the language is forced by :func:`build_calendar`).
    """
    event = session.event
    text = event.text("title")
    if len(event.sessions) > 1:
        text += f" ({event.sessions.index(session) + 1}/{len(event.sessions)})"
    if session.title:
        text += f": {session.text('title')}"
    if is_cancelled(session):
        text = _("Cancelled: %(title)s", title=text)
    return text


def _location(session: EventSession, include_join_url: bool) -> str | None:
    event = session.event
    venue = session.venue or event.text("venue")
    if venue or not event.is_online:
        parts = [venue, event.city]
        return ", ".join(p for p in parts if p) or None
    if include_join_url and event.online_url:
        # Outlook and Google make a URL in LOCATION a "join" link.
        return event.online_url
    return _("Online")


def _description(session: EventSession, base_url: str, include_join_url: bool) -> str:
    event = session.event
    paragraphs = []
    if is_cancelled(session):
        paragraphs.append(_("This event has been cancelled."))
    if event.summary:
        paragraphs.append(event.text("summary"))
    if include_join_url and event.online_url:
        paragraphs.append(_("Join online: %(url)s", url=event.online_url))
    paragraphs.append(_("Organiser: %(name)s", name=event.organisation.name))
    paragraphs.append(_("More information: %(url)s", url=event_url(event.id, base_url)))
    return "\n\n".join(paragraphs)


def vevent(session: EventSession, *, base_url: str, include_join_url: bool) -> VEvent:
    """The VEVENT of one session (see the module docstring for the choices made)."""
    event = session.event
    stamp = changed_at(session)
    component = VEvent()
    component.add("uid", session_uid(session.id, base_url))
    component.add("sequence", event.sequence)
    component.add("dtstamp", stamp)
    component.add("last-modified", stamp)
    component.add("dtstart", session.starts_at.astimezone(STOCKHOLM))
    component.add("dtend", session.ends_at.astimezone(STOCKHOLM))
    component.add("summary", summary(session))
    component.add("description", _description(session, base_url, include_join_url))
    location = _location(session, include_join_url)
    if location:
        component.add("location", location)
    component.add("url", event_url(event.id, base_url))
    component.add("status", "CANCELLED" if is_cancelled(session) else "CONFIRMED")
    return component


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
    sessions: Iterable[EventSession],
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


def _build(
    sessions: Iterable[EventSession],
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
    for session in sessions:
        calendar.add_component(
            vevent(session, base_url=base_url, include_join_url=include_join_url)
        )
    for component in extra:
        calendar.add_component(component)
    return fold(calendar.to_ical())


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
    ``language`` when building an email.
    """
    return build_calendar(
        event.sessions,
        name=event.text("title", language),
        base_url=base_url or public_base_url(),
        include_join_url=include_join_url,
        subscription=False,
        language=language,
    )
