"""Links that add one event to a web calendar (Google Calendar, Outlook.com).

Unlike a feed subscription (webapp.events.feeds), these copy the event once into the
visitor's calendar. Both services take the times in UTC (``…Z``), so no time zone is
guessed; every value is percent-encoded (spaces as ``%20``: Outlook.com shows a ``+``
literally), so titles with ``&``, ``#`` or ``?`` arrive intact.

An event with several sessions (a workshop series) gets a pair of links per session; a
called-off session gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from flask import url_for

from webapp.events.models import Event, EventSession

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/action/compose"


@dataclass(frozen=True)
class AddLinks:
    session: EventSession
    google: str
    outlook: str


def _query(params: dict[str, str]) -> str:
    return urlencode({k: v for k, v in params.items() if v}, quote_via=quote)


def _utc(moment: datetime, pattern: str) -> str:
    return moment.astimezone(UTC).strftime(pattern)


def _place(event: Event, session: EventSession) -> str:
    return ", ".join(part for part in (session.venue or event.text("venue"), event.city) if part)


def google_link(title: str, starts: datetime, ends: datetime, details: str, place: str) -> str:
    """Google Calendar's "create event" template: ``dates=start/end`` in basic UTC format."""
    dates = f"{_utc(starts, '%Y%m%dT%H%M%SZ')}/{_utc(ends, '%Y%m%dT%H%M%SZ')}"
    query = _query(
        {"action": "TEMPLATE", "text": title, "dates": dates, "details": details, "location": place}
    )
    return f"{GOOGLE}?{query}"


def outlook_link(title: str, starts: datetime, ends: datetime, details: str, place: str) -> str:
    """Outlook.com's compose deep link: ISO 8601 UTC times."""
    query = _query(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": title,
            "startdt": _utc(starts, "%Y-%m-%dT%H:%M:%SZ"),
            "enddt": _utc(ends, "%Y-%m-%dT%H:%M:%SZ"),
            "body": details,
            "location": place,
        }
    )
    return f"{OUTLOOK}?{query}"


def add_event_links(event: Event, join_url: str | None = None) -> list[AddLinks]:
    """Add-to-calendar links for each live session of ``event``.

    The details carry the event page's address, and ``join_url`` only when the caller may
    show it (a confirmed booking's own manage page).
    """
    page = url_for("events.detail", event_id=event.id, _external=True)
    details = "\n\n".join(part for part in (event.text("summary"), join_url, page) if part)
    live = [s for s in event.sessions if s.cancelled_at is None]
    links = []
    for session in live:
        title = event.text("title")
        if session.title:
            title += f": {session.text('title')}"
        place = _place(event, session)
        links.append(
            AddLinks(
                session,
                google_link(title, session.starts_at, session.ends_at, details, place),
                outlook_link(title, session.starts_at, session.ends_at, details, place),
            )
        )
    return links
