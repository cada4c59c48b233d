"""The front: a repeated anonymous GET of a public page or feed answered before Flask runs.

A page served from the cache (:mod:`webapp.http_cache`) still goes through all of Flask:
the request and app contexts, routing, the hooks of Babel, the limiter, CSRF and the
security headers, the session's save. On a cache hit that machinery is most of the time
the request takes. So each process also keeps, per request identity, the last whole
answer Flask gave for it (status, every header, the body) together with its *check*: the
way to work out that answer's ETag again, which is the same version read Flask's path
makes. A request with the same identity is answered here when the check gives the same
ETag; anything else goes to Flask, which records the new answer.

The identity is everything an answer depends on besides the version: scheme, host, path
and query, the ``lang`` cookie, the language the browser's ``Accept-Language`` comes to,
and whether the client takes gzip. Nothing is weakened: the version is read from the
shared database on every request, so a change is seen by the next request on every host,
and what is sent is byte for byte what Flask sent for that version, headers included
(the security headers too). A client that has the current version gets the ``304`` Flask
would give.

Never answered here: a method other than GET and HEAD, a request with a session or
remember-me cookie, ``If-None-Match: *``. Never recorded: an answer that is not a ``200``,
that sets a cookie or counted a rate limit (it must be counted every time: the API), or
that answered a HEAD. The memo is per process and holds at most ``FRONT_CACHE_BYTES`` of
bodies, oldest dropped first; ``0`` turns the front off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import Flask, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie, remove_entity_headers

from webapp import http_cache, operations
from webapp.db import reads_once
from webapp.extensions import limiter
from webapp.i18n import LANG_COOKIE

log = logging.getLogger(__name__)

_IDENTITY = "traffpunkt.front.identity"
_OFFER = "traffpunkt.front.offer"

Check = Callable[[], "str | None"]


@dataclass(frozen=True)
class _Offer:
    etag: str
    last_modified: datetime
    check: Check
    route: str | None
    endpoint: str | None


@dataclass(frozen=True)
class _Reply:
    offer: _Offer
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + 1024


def offer(etag: str, last_modified: datetime, check: Check) -> None:
    """Let the front keep the answer this request is given, for as long as ``check()``
    (called outside any request, in an app context) returns ``etag``; ``None`` from it
    means the answer would be something else now (a 404)."""
    environ = request.environ
    # A rate limit counted on this request must be counted on every one (the API's).
    if _IDENTITY in environ and not limiter.current_limits:
        rule = request.url_rule
        environ[_OFFER] = _Offer(
            etag, last_modified, check, rule.rule if rule else None, request.endpoint
        )


@lru_cache(maxsize=1024)
def _cookies(header: str) -> dict[str, str]:
    return dict(parse_cookie(header))


@lru_cache(maxsize=256)
def _language(header: str | None, languages: tuple[str, ...]) -> str | None:
    return parse_accept_header(header, LanguageAccept).best_match(languages)


@lru_cache(maxsize=256)
def _takes_gzip(header: str | None) -> bool:
    return parse_accept_header(header)["gzip"] > 0


class Front:
    """WSGI middleware around the app's ``wsgi_app`` (inside ``ProxyFix``, so the scheme,
    host and address it sees are the client's)."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.budget = int(app.config["FRONT_CACHE_BYTES"])
        self.session_cookies = (
            app.config["SESSION_COOKIE_NAME"],
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        )
        self.languages = tuple(app.config["LANGUAGES"])
        self.log_requests = operations.json_logging_enabled(app)
        self.replies: dict[tuple[object, ...], _Reply] = {}
        self.size = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        identity = self.identity(environ)
        if identity is None:
            return self.wsgi_app(environ, start_response)
        with reads_once():
            return self.serve(identity, environ, start_response)

    def serve(
        self, identity: tuple[object, ...], environ: dict[str, Any], start_response: Any
    ) -> Any:
        reply = self.replies.get(identity)
        if reply is not None:
            started = time.perf_counter()
            answered = self.answer(reply, identity, environ, start_response)
            if answered is not None:
                if self.log_requests:
                    self.log(reply, environ, answered, started)
                return answered[1]
        environ[_IDENTITY] = identity
        return self.record(identity, environ, start_response)

    def identity(self, environ: dict[str, Any]) -> tuple[object, ...] | None:
        """What the answer to this request depends on besides the version; ``None`` when the
        front must leave it to Flask."""
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return None
        lang = None
        header = environ.get("HTTP_COOKIE")
        if header:
            cookies = _cookies(header)
            if any(name in cookies for name in self.session_cookies):
                return None
            lang = cookies.get(LANG_COOKIE)
        if "*" in environ.get("HTTP_IF_NONE_MATCH", ""):
            return None
        return (
            environ["wsgi.url_scheme"],
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            lang,
            _language(environ.get("HTTP_ACCEPT_LANGUAGE"), self.languages),
            _takes_gzip(environ.get("HTTP_ACCEPT_ENCODING")),
        )

    def answer(
        self,
        reply: _Reply,
        identity: tuple[object, ...],
        environ: dict[str, Any],
        start_response: Callable[..., Any],
    ) -> tuple[int, list[bytes]] | None:
        """The kept answer (or its ``304``) when its check still gives its ETag."""
        offered = reply.offer
        try:
            with self.app.app_context():
                current = offered.check()
        except Exception:  # Flask answers instead, with its error page if it fails too
            log.warning("front: check failed, handing over to Flask", exc_info=True)
            return None
        if current != offered.etag:
            return None
        held = http_cache.held_etag(environ, current, offered.last_modified, bool(identity[-1]))
        if held is not None:
            headers = [(n, f'"{held}"' if n == "ETag" else v) for n, v in reply.headers]
            remove_entity_headers(headers)  # as werkzeug does for Flask's 304
            start_response("304 NOT MODIFIED", headers)
            return 304, []
        # A copy: some servers (wsgiref) add to the list they are given.
        start_response(reply.status, list(reply.headers))
        return 200, [] if environ["REQUEST_METHOD"] == "HEAD" else [reply.body]

    def record(
        self, identity: tuple[object, ...], environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        """Flask's answer, kept when the view offered it and it may be kept."""
        seen: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, capture)
        offered = environ.get(_OFFER)
        if (
            offered is None
            or environ["REQUEST_METHOD"] != "GET"
            or not seen
            or not seen[0].startswith("200 ")
            or any(name.lower() == "set-cookie" for name, _value in seen[1])
        ):
            return answer
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        self.keep(identity, _Reply(offered, seen[0], list(seen[1]), body))
        return [body]

    def keep(self, identity: tuple[object, ...], reply: _Reply) -> None:
        if reply.size > self.budget // 4:
            return
        with self.lock:
            old = self.replies.pop(identity, None)
            if old is not None:
                self.size -= old.size
            while self.replies and self.size + reply.size > self.budget:
                self.size -= self.replies.pop(next(iter(self.replies))).size
            self.replies[identity] = reply
            self.size += reply.size

    def log(
        self,
        reply: _Reply,
        environ: dict[str, Any],
        answered: tuple[int, list[bytes]],
        started: float,
    ) -> None:
        status, body = answered
        operations.log_request(
            method=environ["REQUEST_METHOD"],
            route=reply.offer.route,
            endpoint=reply.offer.endpoint,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            bytes=len(body[0]) if body else 0,
            remote_addr=environ.get("REMOTE_ADDR"),
        )


def init_app(app: Flask) -> None:
    """Put the front around the app (before ``ProxyFix`` wraps it)."""
    if int(app.config["FRONT_CACHE_BYTES"]):
        app.wsgi_app = Front(app, app.wsgi_app)  # type: ignore[method-assign]
