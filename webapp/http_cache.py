"""Public pages a proxy may keep: no session for anonymous readers, conditional GETs and a
server-side cache of rendered pages and built feeds.

**No session for reading.** A visitor without a session cookie gets no cookie and no
``Vary: Cookie`` from any public GET (:class:`ReadOnlySessionInterface`): the session is
created only when something is written to it (a CSRF token for a form, a login, a flash
message). The language is not kept in the session either (:mod:`webapp.i18n`).

**Validators from cheap version data.** Each public view is wrapped in :func:`public_page`
with a function that returns its :class:`Version`: a handful of columns read with one
small query (the newest ``updated_at`` of the rows the page shows, ``seats_changed_at``, the
highest id or a count for rows added or deleted; :mod:`webapp.events.page_versions`) on a
connection outside the request's transaction (:func:`webapp.db.read_row`). The ``ETag`` is
a hash of that version, the host and the URL with its
query (some links follow the address asked at), the language, and the current period of
``PUBLIC_CACHE_SECONDS``; the period stands for what
changes with time alone (registration opening or closing, an event becoming past). So:

- a change made by someone (an edit, a booking, a rename) gives the next request a new
  ``ETag`` and a freshly rendered page, on every host, because the version is read from
  the shared database;
- a change that happens with time is seen within one period at the server;
- a proxy may keep a page ``PUBLIC_CACHE_SECONDS`` (default 30, ``s-maxage``) before it
  revalidates: no public page is staler than that after a change (twice that for a change
  that happens with time alone). A browser revalidates every time (``max-age=0``), so its
  visitor sees their own registration's seats and the language they switched to at once.

``If-None-Match`` with the current ``ETag`` is answered ``304`` before the view runs.

**Server-side cache.** The rendered body is kept under its ``ETag`` in Flask-Caching:
Redis when ``CACHE_REDIS_URL`` is set (shared by every process and host), an in-process
cache otherwise. Because the key *is* the version, nothing is ever invalidated explicitly:
a change makes a new key, and old entries expire (``CACHE_DEFAULT_TIMEOUT``). A body of
``GZIP_MIN`` bytes or more is kept gzipped too, compressed once, and sent so to a client
that accepts gzip, under an ETag of its own (``"…-gzip"``; either one in ``If-None-Match``
gets a ``304``). The view's own headers (the embed's framing policy, ``Content-Language``)
are kept with the body.

**In front of Flask.** Each process also keeps the whole answer to a repeated anonymous
GET and sends it again after the same version read, without Flask's request handling
(:mod:`webapp.front`): views offer their answers there (:func:`answer`'s ``check``).

**Who gets this.** Only requests without a session or remember-me cookie: a logged-in
organiser or a visitor with a flash message waiting sees the page rendered for them, marked
``private``. A visitor whose language comes from the ``lang`` cookie shares the server's
cache (the language is in the key) but gets ``Cache-Control: private``: a shared cache
keys on the URL and ``Accept-Language`` only (``Vary: Accept-Language``). A proxy that
should cache for them too must add the ``lang`` cookie to its key (see the README).
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, wraps
from typing import Any

from flask import Flask, Request, Response, current_app, make_response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_caching import Cache
from werkzeug.http import http_date, is_resource_modified, parse_etags

from webapp import front

cache = Cache()

#: Part of every key: bump it when what a page shows changes shape for the same data.
FORMAT_VERSION = "2"
#: Headers of a view's answer that a cached copy does not carry again: the body's own, and
#: those this module sets. Everything else (the embed's framing policy, Content-Language,
#: Link, ...) is kept with the body.
_NOT_KEPT = frozenset(
    ("content-length", "content-type", "content-encoding", "set-cookie", "vary", "etag")
    + ("cache-control", "last-modified", "date", "expires")
)


class ReadOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, minus ``Vary: Cookie`` for visitors who have none.

    Flask adds ``Vary: Cookie`` whenever the session was *read* (Flask-Login looking for a
    user, the template asking for flash messages), which makes every page uncacheable. A
    request that brought no session cookie and left the session empty could not have
    depended on it, so nothing is said.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No cookie, nothing to verify: skip building the signing serializer.
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session_in_play(session):
            return
        super().save_session(app, session, response)


def session_in_play(session: SessionMixin) -> bool:
    """Whether the request has a session an answer can depend on: it brought the cookie,
    or the session was filled (a form's CSRF token, a login)."""
    return bool(session) or session.modified or has_session_cookie()


def has_session_cookie() -> bool:
    """Whether the request carries a login or session (remember-me counts)."""
    cookies = request.cookies
    return (
        current_app.config["SESSION_COOKIE_NAME"] in cookies
        or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies
    )


@dataclass(frozen=True)
class Version:
    """What a page's validators are made of: any value that changes when the page would.

    ``moments`` are the change times among the rows read, as the driver returned them
    (SQLite: text); :attr:`changed`, the newest, is worked out when first asked for, since
    the front's check (:func:`etag_of`) needs the parts alone.
    """

    parts: tuple[object, ...]
    moments: tuple[object, ...] = ()

    @cached_property
    def changed(self) -> datetime | None:
        """The newest of ``moments``, for ``Last-Modified``."""
        return newest(*(as_utc(m) for m in self.moments))


def as_utc(value: object) -> datetime | None:
    """A timestamp as a driver returns it (SQLite: text without zone, in UTC), aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def newest(*moments: datetime | None) -> datetime | None:
    """The latest of the given moments that are set."""
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def max_age() -> int:
    return int(current_app.config["PUBLIC_CACHE_SECONDS"])


def _period_start(seconds: int) -> int:
    return int(time.time()) // seconds * seconds


def etag_of(key: Sequence[object], version: Version, period: int | None = None) -> str:
    """The ``ETag`` of a page of ``version`` under ``key`` in the cache period ``period``
    (default: the current one)."""
    if period is None:
        period = _period_start(max_age())
    parts = (FORMAT_VERSION, *key, version.parts, period)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def validators(key: Sequence[object], version: Version) -> tuple[str, datetime]:
    """The ``ETag`` and ``Last-Modified`` of a page of ``version`` under ``key``."""
    period = _period_start(max_age())
    # Never earlier than the period's start, so If-Modified-Since alone cannot miss what
    # changed with time.
    started = datetime.fromtimestamp(period, UTC)
    changed = version.changed
    return etag_of(key, version, period), max(changed, started) if changed else started


def shared_cache_allowed() -> bool:
    """A shared cache may keep the answer: it depended on nothing but the URL and
    ``Accept-Language``."""
    from webapp.i18n import LANG_COOKIE

    languages = current_app.config["LANGUAGES"]
    return (
        request.cookies.get(LANG_COOKIE) not in languages or request.args.get("lang") in languages
    )


def set_cache_headers(response: Response, etag: str, last_modified: datetime) -> None:
    # Plain strings: werkzeug's header objects re-serialise on every attribute set, which
    # shows on a request that does little else.
    headers = response.headers
    headers["ETag"] = f'"{etag}"'
    headers["Last-Modified"] = http_date(last_modified)
    # A browser asks again each time (a 304 when nothing changed, answered by the front), so
    # its visitor never sees an older page than the server's: seats left after their own
    # registration, the language they just switched to (which the ``lang`` cookie carries,
    # and caches key on no cookie). Shared caches keep the page ``max_age()`` seconds.
    headers["Cache-Control"] = (
        f"public, max-age=0, s-maxage={max_age()}"
        if shared_cache_allowed()
        else "private, no-cache"
    )
    headers["Vary"] = "Accept-Language, Accept-Encoding"


# --- bodies kept under their ETag, plain and gzipped -------------------------------------

#: Bodies shorter than this are sent as they are: gzip would save less than it costs.
GZIP_MIN = 1400
#: The suffix of the ETag of a gzipped body (each representation has its own, RFC 9110).
GZIP_SUFFIX = "-gzip"


@dataclass(frozen=True)
class Kept:
    """A body as the cache holds it: plain, and gzipped once when it is long enough."""

    body: bytes
    gzipped: bytes | None
    mimetype: str
    headers: dict[str, str]


def keep(body: bytes, mimetype: str, headers: dict[str, str] | None = None) -> Kept:
    gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN else None
    return Kept(body, gzipped, mimetype, headers or {})


def kept(cache_key: str, build: Callable[[], Kept | Response]) -> Kept | Response:
    """The body kept under ``cache_key``, else ``build()``'s, kept when it is a :class:`Kept`.

    ``build`` returns a :class:`Response` for what must not be kept (an error, a cookie).
    """
    found = cache.get(cache_key)
    if found is not None:
        return found
    made = build()
    if isinstance(made, Kept):
        cache.set(cache_key, made)
    return made


def wants_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def held_etag(
    environ: dict[str, Any], etag: str, last_modified: datetime, takes_gzip: bool
) -> str | None:
    """The ETag of the representation the client says it already has, when that is the
    current version (``etag``), else ``None``.

    ``If-None-Match`` decides; without it ``If-Modified-Since``. The gzipped
    representation's ETag counts only from a client that accepts gzip (a shared cache must
    never be told that a gzipped copy suits a client that cannot read it). Plain values in,
    so the front (:mod:`webapp.front`) answers exactly as the views do.
    """
    header = environ.get("HTTP_IF_NONE_MATCH")
    if header:
        tags = parse_etags(header)
        # "If-None-Match: *" asks whether the resource exists at all: only the view knows.
        if tags.star_tag:
            return None
        # Weak comparison (RFC 9110 13.1.2): a proxy that compresses turns our ETags weak.
        if tags.contains_weak(etag):
            return etag
        gzipped = etag + GZIP_SUFFIX
        return gzipped if takes_gzip and tags.contains_weak(gzipped) else None
    return None if is_resource_modified(environ, last_modified=last_modified) else etag


def client_has(etag: str, last_modified: datetime) -> str | None:
    """:func:`held_etag` for the current request."""
    return held_etag(request.environ, etag, last_modified, wants_gzip())


def send(response: Response, body: Kept, etag: str) -> str:
    """Put ``body`` in ``response``, gzipped for a client that takes it; returns the ETag
    of what is sent."""
    response.headers.update(body.headers)
    if body.gzipped is not None and wants_gzip():
        response.set_data(body.gzipped)
        response.headers["Content-Encoding"] = "gzip"
        return etag + GZIP_SUFFIX
    response.set_data(body.body)
    return etag


def answer(
    key: Sequence[object],
    version: Version,
    build: Callable[[], Any],
    *,
    check: Callable[[], Version | None] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """``304`` when the client has the current version, else the cached or built body.

    ``build`` returns anything a view may return; only a ``200`` without a cookie is kept.
    ``headers`` go on both, the ``304`` too: a cache updates what it keeps from a ``304``'s
    headers, so one without the embed's framing policy would stop it being framed.
    ``check`` reads the version again (``None``: the page would not be this any more), for
    the front (:mod:`webapp.front`) to answer the same request without Flask.
    """
    etag, last_modified = validators(key, version)
    held = client_has(etag, last_modified)
    if held is not None:
        response = Response(status=304)
        if headers:
            response.headers.update(headers)
        set_cache_headers(response, held, last_modified)
        return response

    def render() -> Kept | Response:
        response = make_response(build())
        if (
            response.status_code != 200
            or response.direct_passthrough
            or "Set-Cookie" in response.headers
        ):
            return response
        kept_headers = {h: v for h, v in response.headers.items() if h.lower() not in _NOT_KEPT}
        return keep(response.get_data(), response.mimetype, kept_headers)

    body = kept("page:" + etag, render)
    if isinstance(body, Response):
        if body.status_code == 200:
            body.headers["Cache-Control"] = "private, no-cache"
        return body
    response = Response(mimetype=body.mimetype)
    sent = send(response, body, etag)
    if headers:
        response.headers.update(headers)
    set_cache_headers(response, sent, last_modified)
    if check is not None:

        def current_etag() -> str | None:
            found = check()
            return etag_of(key, found) if found is not None else None

        front.offer(etag, last_modified, current_etag)
    return response


def public_page(
    version: Callable[..., Version | None],
    headers: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve the view through :func:`answer` for anonymous GETs.

    ``version`` takes the view's arguments and returns the page's :class:`Version`, or
    ``None`` when the view itself should answer (a 404, a redirect). ``headers`` are the
    view's own that a ``304`` must repeat (see :func:`answer`).
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            if request.method not in ("GET", "HEAD") or has_session_cookie():
                response = make_response(view(**kwargs))
                # Whatever the view said: this answer was made for this visitor.
                response.headers["Cache-Control"] = "private, no-cache"
                return response
            found = version(**kwargs)
            if found is None:
                return view(**kwargs)
            from webapp.i18n import select_locale

            # The host too: some links are built on the address the page was asked at.
            key = (request.host, request.endpoint, request.full_path, select_locale())
            return answer(
                key,
                found,
                lambda: view(**kwargs),
                check=lambda: version(**kwargs),
                headers=headers,
            )

        return wrapper

    return decorate


def init_app(app: Flask) -> None:
    """Bind the cache (Redis when ``CACHE_REDIS_URL`` is set) and the session interface."""
    redis_url = app.config.get("CACHE_REDIS_URL")
    if redis_url:
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config["CACHE_TYPE"] = "RedisCache"
    elif app.config.get("CACHE_TYPE") in (None, "", "RedisCache"):
        app.config["CACHE_TYPE"] = "SimpleCache"
    app.config.setdefault("CACHE_KEY_PREFIX", "traffpunkt:")
    cache.init_app(app)
    app.session_interface = ReadOnlySessionInterface()
