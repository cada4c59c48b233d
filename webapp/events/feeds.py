"""Public calendar feeds and the single-event download, with cheap conditional GETs.

Every feed first runs one aggregate query over the rows it would show (:class:`FeedState`)
and derives its ``ETag`` and ``Last-Modified`` from it; a client that has the current
version gets ``304`` before any session is loaded or any iCal is built.

The change marker is the pair (number of sessions, newest change), where a session's change
is the newest of ``Event.updated_at`` and ``EventSession.updated_at`` (each moves on every
change to its row's content; seats taken or freed are not content and move neither) plus,
for the ETag, the feed's day:

- an edit to an event or one of its sessions moves the newest change;
- a session added or deleted changes the count (an added one also moves the newest change);
- sessions leave the window only when the window moves, and it moves once a day
  (:func:`window_start` is a local midnight), which changes the day;
- what is read from other rows (an organisation's or project's name) is covered by their
  newest change and highest id, from the site's version (below).

The aggregate reads every session of the feed, which for a large feed costs more than
the rest of a cached answer. So each process remembers the states it worked out, under the
site's version (:func:`webapp.events.page_versions.site_version`, nine index look-ups)
but its seats' part: while nothing a feed shows changed anywhere, the remembered state is
the current one; after any such change the aggregate runs again, and a booking is none.

``Last-Modified`` is the newest change but never earlier than the window's last move, so a
client that only sends ``If-Modified-Since`` never misses sessions dropping out.
The output of a feed depends only on that data and the language, so equal validators mean
byte-identical bodies.

Private feeds (a participant's, a booking contact's) live in ``webapp.bookings.calendar``,
because events must not depend on bookings; they reuse :func:`conditional_calendar` and
:func:`feed_sessions`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.http import http_date

from webapp import front
from webapp.config import public_base_url
from webapp.db import db, read_row, utcnow
from webapp.events import ical
from webapp.events.calendar_links import add_event_links
from webapp.events.models import Event, EventKind, EventSession, EventStatus
from webapp.events.page_versions import NAMES, NO_SEATS, event_calendar_version, site_version
from webapp.events.services import EventFilter
from webapp.http_cache import Kept, client_has, keep, kept, send
from webapp.i18n import STOCKHOLM, current_language
from webapp.organisations.models import Organisation, Project
from webapp.organisations.services import renamed_slug
from webapp.regions import COUNTIES

bp = Blueprint("feeds", __name__)

#: How far back feeds reach, and how long cancelled events stay in them.
KEEP = timedelta(days=30)
#: Part of every ETag: bump it when the output format changes, so clients fetch again.
FORMAT_VERSION = "2"
ICS_MIMETYPE = "text/calendar"


def window_start(now: datetime | None = None) -> datetime:
    """The oldest session end a feed still shows: local midnight 30 days ago, in UTC.

    Whole days keep the feed the same all day long (see the module docstring).
    """
    today = (now or utcnow()).astimezone(STOCKHOLM).date()
    return datetime.combine(today - KEEP, time(0), tzinfo=STOCKHOLM)


def in_window(start: datetime) -> ColumnElement[bool]:
    """Sessions a feed shows: ending after ``start``, of published or recently cancelled events."""
    return and_(
        EventSession.ends_at >= start,
        or_(
            Event.status == EventStatus.PUBLISHED,
            and_(Event.status == EventStatus.CANCELLED, Event.cancelled_at >= start),
        ),
    )


@dataclass(frozen=True)
class FeedState:
    """What a feed's validators are computed from (see the module docstring)."""

    #: Everything the body depends on besides the sessions: feed, name, language, day, ...
    key: tuple[object, ...]
    sessions: int
    newest: datetime | None
    window: datetime

    @property
    def etag(self) -> str:
        parts = (FORMAT_VERSION, *self.key, self.sessions, self.newest, self.window)
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    @property
    def last_modified(self) -> datetime:
        moved = self.window + KEEP  # the last midnight, when the window last moved
        return max(self.newest, moved) if self.newest else moved


def newest(*moments: datetime | None) -> datetime | None:
    """The latest of the given moments that are set."""
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def conditional_calendar(
    state: FeedState,
    build: Callable[[], bytes],
    *,
    private: bool = False,
    filename: str | None = None,
    check: Callable[[], FeedState | None] | None = None,
) -> Response:
    """Answer a feed request: ``304`` when the client is current, else the built calendar.

    ``build`` is only called when the body is needed and not in the cache. Public feeds are
    kept built under their ETag (shared by every process when the cache is Redis, see
    :mod:`webapp.http_cache`), gzipped once for the clients that take it, as calendar
    clients do. ``check`` works the state out again (``None``: the feed is gone), for the
    front (:mod:`webapp.front`) to answer the same request again without Flask.
    """
    etag = state.etag
    response = Response(mimetype=ICS_MIMETYPE)
    headers = response.headers
    # Shared caches may keep public feeds for a while; a private feed is for one client only.
    headers["Cache-Control"] = "private, no-cache" if private else "public, max-age=300"
    headers["Last-Modified"] = http_date(state.last_modified)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    held = client_has(etag, state.last_modified)
    if held is not None:
        response.status_code = 304
        headers["ETag"] = f'"{held}"'
        return response
    if private:
        response.set_data(build())
        headers["ETag"] = f'"{etag}"'
        return response
    body = kept("feed:" + etag, lambda: keep(build(), ICS_MIMETYPE))
    assert isinstance(body, Kept)
    headers["ETag"] = f'"{send(response, body, etag)}"'
    headers["Vary"] = "Accept-Encoding"
    if check is not None:

        def current_etag() -> str | None:
            found = check()
            return found.etag if found is not None else None

        front.offer(etag, state.last_modified, current_etag)
    return response


def feed_language() -> str:
    """Calendar clients send no usable language: ``?lang=`` picks one, else the default."""
    lang = request.args.get("lang")
    return (
        lang
        if lang in current_app.config["LANGUAGES"]
        else current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def base_url() -> str:
    return public_base_url()


def public_url(endpoint: str, **values: object) -> str:
    """An absolute URL under ``PUBLIC_BASE_URL``; works outside requests too (emails)."""
    path = current_app.url_map.bind("").build(endpoint, values)
    return base_url() + path


def subscribe_links(url: str) -> dict[str, str]:
    """The ways to subscribe to a feed: its https URL, ``webcal://`` and Google's "add by URL"."""
    webcal = "webcal://" + url.split("://", 1)[1]
    return {
        "url": url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
    }


# --- public feeds ------------------------------------------------------------------------


def _filter_clauses(filters: EventFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.kind:
        clauses.append(Event.kind == filters.kind)
    if filters.county:
        clauses.append(Event.county == filters.county)
    if filters.organisation:
        clauses.append(
            Event.organisation_id.in_(
                select(Organisation.id).where(Organisation.slug == filters.organisation)
            )
        )
    if filters.project:
        clauses.append(
            Event.project_id.in_(select(Project.id).where(Project.slug == filters.project))
        )
    return clauses


@dataclass(frozen=True)
class PublicFeed:
    """A public feed's state, and the names of the organisation and project it is about."""

    state: FeedState
    organisation: str | None
    project: str | None


def public_feed_state(
    filters: EventFilter, language: str, now: datetime | None = None, base: str | None = None
) -> PublicFeed:
    """One aggregate query: session count, newest change and the names the feed is about;
    remembered while the site's version stays the same (see the module docstring).

    The names are ``None`` when a slug matches nothing. ``base`` is the feed's base URL
    (default :func:`base_url`; given outside a request).
    """
    start = window_start(now)
    site = site_version().parts
    base = base or base_url()
    remembered = (
        current_app.config["SQLALCHEMY_DATABASE_URI"],
        site[NO_SEATS],  # the feed shows no seats: a booking leaves its state as it is
        filters,
        language,
        base,
        start,
    )
    known = _STATES.get(remembered)
    if known is not None:
        return known
    org_name = (
        select(Organisation.name).where(Organisation.slug == filters.organisation).scalar_subquery()
        if filters.organisation
        else literal(None)
    )
    project_name = (
        select(Project.name).where(Project.slug == filters.project).scalar_subquery()
        if filters.project
        else literal(None)
    )
    statement = (
        select(
            func.count(EventSession.id),
            func.max(Event.updated_at),
            func.max(EventSession.updated_at),
            org_name,
            project_name,
        )
        .select_from(EventSession)
        .join(Event, EventSession.event_id == Event.id)
        .where(in_window(start), *_filter_clauses(filters))
    )
    # Outside the session's transaction: on a cache hit or a 304 this is the request's only
    # database work.
    row = read_row(statement)
    assert row is not None  # an aggregate without GROUP BY has one row
    count, event_changed, session_changed, organisation, project = row
    key = (
        "public",
        filters.kind,
        filters.organisation,
        filters.project,
        filters.county,
        organisation,
        project,
        # The organisations' and projects' part of the site's version: each session's
        # ORGANIZER (and the feed's name) is read from those rows, which a rename changes.
        site[NAMES],
        language,
        base,
    )
    feed = PublicFeed(
        FeedState(key, count, newest(event_changed, session_changed), start),
        organisation,
        project,
    )
    if len(_STATES) >= _STATES_KEPT:
        _STATES.clear()
    _STATES[remembered] = feed
    return feed


#: The public feed states this process worked out, under the site's version they hold for.
_STATES: dict[tuple[object, ...], PublicFeed] = {}
_STATES_KEPT = 1000


def feed_sessions(*where: ColumnElement[bool]) -> list[ical.SessionFacts]:
    """The sessions ``where`` selects (joined with their event), in time order, as the
    iCal builder takes them: one query of exactly the columns it reads, each session's
    place in its whole series counted in the same query, even where the series' first
    sessions are not selected ("2/4")."""
    series = (
        select(
            EventSession.id,
            func.row_number()
            .over(
                partition_by=EventSession.event_id,
                order_by=(EventSession.starts_at, EventSession.id),
            )
            .label("position"),
            func.count().over(partition_by=EventSession.event_id).label("of"),
        )
        .where(
            EventSession.event_id.in_(
                select(EventSession.event_id)
                .join(Event, EventSession.event_id == Event.id)
                .where(*where)
            )
        )
        .subquery()
    )
    session_columns = ical.session_columns()
    rows = db.session.execute(
        select(
            *session_columns,
            series.c.position,
            series.c.of,
            *ical.event_columns(),
        )
        .select_from(EventSession)
        .join(series, series.c.id == EventSession.id)
        .join(Event, EventSession.event_id == Event.id)
        .join(Organisation, Event.organisation_id == Organisation.id)
        .where(*where)
        .order_by(EventSession.starts_at, EventSession.id)
    )
    events: dict[int, ical.EventFacts] = {}
    cut = len(session_columns) + 2  # where the event's columns start
    sessions = []
    for row in rows:
        event = events.get(row[cut])
        if event is None:
            event = events[row[cut]] = ical.EventFacts(*row[cut:])
        sessions.append(ical.SessionFacts(*row[:cut], event))
    return sessions


def public_feed_sessions(
    filters: EventFilter, now: datetime | None = None
) -> list[ical.SessionFacts]:
    """The sessions of a public feed, in time order, with what the iCal needs (one query)."""
    return feed_sessions(in_window(window_start(now)), *_filter_clauses(filters))


def _feed_name(filters: EventFilter, feed: PublicFeed) -> str:
    parts = [
        filters.kind.label if filters.kind else None,
        feed.organisation,
        feed.project,
        COUNTIES.get(filters.county) if filters.county else None,
    ]
    about = " · ".join(p for p in parts if p)
    return _("Träffpunkt: %(about)s", about=about) if about else _("Träffpunkt: all events")


def _public_feed(
    filters: EventFilter,
    *,
    must_exist: str | None = None,
    missing: Callable[[], Response | None] = lambda: None,
) -> Response:
    """The feed; when the organisation or project it must be about (``must_exist``) is not
    found, ``missing()``'s answer, else 404."""
    language = feed_language()
    feed = public_feed_state(filters, language)
    if must_exist and getattr(feed, must_exist) is None:
        return missing() or abort(404)
    base = base_url()

    def check() -> FeedState | None:
        again = public_feed_state(filters, language, base=base)
        return None if must_exist and getattr(again, must_exist) is None else again.state

    def build() -> bytes:
        with force_locale(language):
            return ical.build_calendar(
                public_feed_sessions(filters),
                name=_feed_name(filters, feed),
                base_url=base_url(),
                include_join_url=False,
                language=language,
            )

    return conditional_calendar(feed.state, build, check=check)


def filters_from_args() -> EventFilter:
    """The list page's filters, as far as a feed knows them (no past events)."""
    args = request.args
    kind = args.get("kind") or None
    county = args.get("county") or None
    return EventFilter(
        kind=EventKind(kind) if kind in EventKind._value2member_map_ else None,
        organisation=args.get("organisation") or None,
        project=args.get("project") or None,
        county=county if county in COUNTIES else None,
    )


@bp.get("/feeds/events.ics")
def events():
    """All public events, narrowed by the list page's filters when given."""
    current = renamed_slug(request.args.get("organisation"))
    if current:
        return redirect(
            url_for("feeds.events", **{**request.args, "organisation": current}), code=301
        )
    return _public_feed(filters_from_args())


@bp.get("/feeds/organisations/<slug>.ics")
def organisation(slug: str):
    def renamed() -> Response | None:
        # Calendars subscribed before the organisation changed its address follow it.
        current = renamed_slug(slug)
        if current:
            return redirect(url_for("feeds.organisation", slug=current, **request.args), code=301)
        return None

    return _public_feed(EventFilter(organisation=slug), must_exist="organisation", missing=renamed)


@bp.get("/feeds/projects/<slug>.ics")
def project(slug: str):
    return _public_feed(EventFilter(project=slug), must_exist="project")


@bp.get("/feeds/kinds/<kind>.ics")
def kind(kind: str):
    if kind not in EventKind._value2member_map_:
        abort(404)
    return _public_feed(EventFilter(kind=EventKind(kind)))


@bp.get("/events/<int:event_id>.ics")
def event(event_id: int):
    """One event's sessions as a file to open in a calendar (no join link: it is public)."""
    language = feed_language()
    base = base_url()

    def current() -> FeedState | None:
        # The event page's version but the seats (one small query): what the file shows is
        # part of the page.
        version = event_calendar_version(event_id)
        if version is None:
            return None
        return FeedState(
            ("event", event_id, version.parts, language, base), 0, version.changed, window_start()
        )

    state = current()
    if state is None:
        abort(404)

    def build() -> bytes:
        loaded = db.session.scalars(
            select(Event)
            .where(Event.id == event_id)
            .options(joinedload(Event.organisation), selectinload(Event.sessions))
        ).one()
        return ical.event_calendar(
            loaded, include_join_url=False, base_url=base_url(), language=language
        )

    return conditional_calendar(state, build, filename=f"event-{event_id}.ics", check=current)


# --- links for templates -----------------------------------------------------------------


def _language_args() -> dict[str, str]:
    """Feeds linked from an English page carry ``lang=en``; Swedish is the default."""
    lang = current_language()
    return {} if lang == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": lang}


@bp.app_template_global()
def feed_links(filters: EventFilter) -> dict[str, str]:
    """Subscribe links for the list page's filters: a named feed when one filter is set."""
    lang = _language_args()
    only = [f for f in ("kind", "organisation", "project", "county") if getattr(filters, f)]
    if only == ["organisation"]:
        url = public_url("feeds.organisation", slug=filters.organisation, **lang)
    elif only == ["project"]:
        url = public_url("feeds.project", slug=filters.project, **lang)
    elif only == ["kind"]:
        url = public_url("feeds.kind", kind=filters.kind.value, **lang)
    else:
        args = {f: str(getattr(filters, f)) for f in only}
        url = public_url("feeds.events", **args, **lang)
    return subscribe_links(url)


@bp.app_template_global()
def organisation_feed_links(organisation: Organisation) -> dict[str, str]:
    """Subscribe links for all events of one organisation (the event page offers them)."""
    return subscribe_links(
        public_url("feeds.organisation", slug=organisation.slug, **_language_args())
    )


@bp.app_template_global()
def event_ics_url(event: Event) -> str:
    return public_url("feeds.event", event_id=event.id, **_language_args())


@bp.app_template_global()
def filters_for_project(project: Project) -> EventFilter:
    """The list filter that is one project's feed (for the public project page)."""
    return EventFilter(project=project.slug)


bp.add_app_template_global(add_event_links)
