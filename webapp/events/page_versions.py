"""The cache versions of the public pages (see :mod:`webapp.http_cache`): one small query each.

- An event's page shows the event (its texts, status, times and seats left), its sessions,
  its organisation and its project: :func:`event_version` reads their ``updated_at``, the
  event's ``seats_changed_at`` and the session count (a deleted session moves no
  ``updated_at``).
- Lists (the front page, a project's page, the embed, the API, the sitemap, and the
  public feeds' first check, see :mod:`webapp.events.feeds`) show many events and the
  names of organisations and projects: :func:`site_version` reads the newest ``updated_at``
  and the highest id of each of the four tables, and the newest ``seats_changed_at``, so
  any change anywhere gives every list a new version. Coarse, but never stale, and nine
  index look-ups whatever the size of the catalogue. The highest id catches a row
  inserted with an old ``updated_at`` (an import). Rows of these tables are never deleted
  but a draft's sessions, which no public page shows; a row deleted by hand in the
  database is seen once the cached copies expire (``CACHE_DEFAULT_TIMEOUT``). A count
  would see it at once, but on PostgreSQL a count reads every row, which on a cache hit
  would cost more than the rest of the request.

Seats are apart from the rest: taking or freeing them (a registration, a cancellation, a
promotion from the waiting list) sets ``events.seats_changed_at`` and leaves
``events.updated_at`` as it is (:mod:`webapp.bookings.services`), and both versions read
it last. Calendars show no seats, so the feeds and the ``.ics`` download take every part
but that one (:data:`NO_SEATS`, :func:`event_calendar_version`): a booking leaves their
ETags, and the DTSTAMP and LAST-MODIFIED they carry (:mod:`webapp.events.ical`), as they
were, and subscribed calendars see no change where there is none.

The statements are fixed text run on a connection of their own
(:func:`webapp.db.read_row`: autocommit, no pre-ping), not through the ORM session:
on a cache hit this is the only database work of the request, and building an ORM
statement costs more than running it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from webapp.db import read_row
from webapp.events.services import PUBLIC_STATUSES
from webapp.http_cache import Version

_SITE = text(
    "SELECT (SELECT max(updated_at) FROM events), (SELECT max(id) FROM events),"
    " (SELECT max(updated_at) FROM event_sessions), (SELECT max(id) FROM event_sessions),"
    " (SELECT max(updated_at) FROM organisations), (SELECT max(id) FROM organisations),"
    " (SELECT max(updated_at) FROM projects), (SELECT max(id) FROM projects),"
    " (SELECT max(seats_changed_at) FROM events)"
)

#: The organisations' and projects' columns of :func:`site_version`'s parts.
NAMES = slice(4, 8)
#: The parts of either version but the seats' (the last): what a calendar depends on.
NO_SEATS = slice(0, -1)

_EVENT = text(
    "SELECT e.updated_at, o.updated_at, o.name, p.updated_at, s.changed, s.n,"
    " e.seats_changed_at"
    " FROM events e JOIN organisations o ON o.id = e.organisation_id"
    " LEFT JOIN projects p ON p.id = e.project_id"
    # The sessions' newest change and their number in one pass over the event's.
    " CROSS JOIN (SELECT max(updated_at) AS changed, count(*) AS n FROM event_sessions"
    " WHERE event_id = :id) s"
    " WHERE e.id = :id AND e.status IN ("
    + ", ".join(f"'{status.value}'" for status in PUBLIC_STATUSES)
    + ")"
)


def _row(statement: Any, **params: object) -> tuple[Any, ...] | None:
    row = read_row(statement, params)
    return tuple(row) if row is not None else None


def site_version(**_view_args: object) -> Version:
    """Changes to any event (its seats too), session, organisation or project."""
    row = _row(_SITE)
    assert row is not None
    return Version(row, tuple(row[i] for i in (0, 2, 4, 6, 8)))


def event_version(event_id: int, **_view_args: object) -> Version | None:
    """One public event's page; ``None`` when it is not public (the view answers 404)."""
    row = _row(_EVENT, id=event_id)
    if row is None:
        return None
    return Version(row, tuple(row[i] for i in (0, 1, 3, 4, 6)))


def event_calendar_version(event_id: int) -> Version | None:
    """What the event's ``.ics`` shows: its page's version but the seats."""
    row = _row(_EVENT, id=event_id)
    if row is None:
        return None
    return Version(row[NO_SEATS], tuple(row[i] for i in (0, 1, 3, 4)))
