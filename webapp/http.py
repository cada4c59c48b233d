"""The edge: what every request is cleaned of, error pages, and the headers every response
carries.

Control characters are handled here, once, so every form, query and path behaves the same
on SQLite (which stores them) and PostgreSQL (which refuses NUL with an error):

- form fields and query values have them stripped (:class:`Request`): text pasted from a
  PDF or a word processor often carries a stray vertical tab or NUL, and refusing the
  whole form for an invisible character helps no one. Bidirectional overrides go too
  (:data:`CONTROL`). Tab, line feed and carriage return
  stay (text areas); single-line fields refuse line breaks in their form
  (:class:`webapp.formtools.Form`).
- a path with one names nothing here: 404.
- a file part where a form expects text is refused with 400: Flask-WTF would merge it into
  the form data and every text validator would trip over it. No form takes files today;
  a view that comes to take one must be exempted in :func:`_refuse_files`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, render_template, request, session
from flask import Request as FlaskRequest
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException, NotFound

from webapp.db import db
from webapp.http_cache import session_in_play

_MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("The page could not be found. The link may be old or mistyped."),
    405: _l("That action is not possible here."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a moment and try again."),
    500: _l("Something went wrong on our side. Nothing you sent was saved; please try again."),
    503: _l(
        "The service is briefly unavailable. Nothing you sent was saved; please try again "
        "in a minute."
    ),
}

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)

#: C0 controls except tab, line feed and carriage return; DEL; C1 controls; the explicit
#: bidirectional formatting characters (embeddings, overrides, isolates): a right-to-left
#: override in a name turns the email address shown after it around, in lists and exports
#: too. Right-to-left text needs none of them to show correctly.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Any control character at all, for paths.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def strip_controls(value: str) -> str:
    """``value`` without the control characters no text field keeps."""
    return CONTROL.sub("", value)


def _cleaned(mapping: Any) -> Iterable[tuple[Any, Any]]:
    if mapping is None:
        return ()
    if isinstance(mapping, MultiDict):
        pairs = mapping.items(multi=True)
    elif isinstance(mapping, Mapping):
        pairs = mapping.items()
    else:
        pairs = mapping
    return [
        (
            strip_controls(key) if isinstance(key, str) else key,
            strip_controls(value) if isinstance(value, str) else value,
        )
        for key, value in pairs
    ]


class CleanParameters(ImmutableMultiDict):
    """Form and query parameters with control characters stripped from names and values."""

    def __init__(self, mapping: Any = None) -> None:
        super().__init__(_cleaned(mapping))


class Request(FlaskRequest):
    """Flask's request, whose ``form`` and ``args`` hold no control characters."""

    parameter_storage_class = CleanParameters


def _render_error(code: int, message: object) -> tuple[str, int]:
    return render_template("error.html", code=code, message=message), code


def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    if error.code is None or error.code < 400:
        return error
    return _render_error(error.code, _MESSAGES.get(error.code, error.description))


def _csrf_error(_error: CSRFError) -> tuple[str, int]:
    return _render_error(
        400, _l("The form had expired. Go back, reload the page and send it again.")
    )


def _database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
    """The database went away mid-request (restarted, failed over, locked too long): the
    transaction never committed, so say that nothing was saved and to try again."""
    current_app.logger.warning("database unavailable: %s", error)
    # The connection may be gone too; the pool replaces it (pool_pre_ping).
    with contextlib.suppress(InterfaceError, OperationalError):
        db.session.rollback()
    body, code = _render_error(503, _MESSAGES[503])
    return body, code, {"Retry-After": "30"}


def _close_session(_error: BaseException | None) -> None:
    """End the request's session even when its connection died after the answer was
    ready: the rollback that closing does would raise, and turn a page that worked into
    the server's bare 500. Runs before Flask-SQLAlchemy's own teardown (registered first,
    so called last)."""
    try:
        db.session.remove()
    except (InterfaceError, OperationalError):
        db.session().invalidate()
        db.session.remove()


def _refuse_controls_in_path() -> None:
    # Raised, not rendered here, so a blueprint's own error page (the API's problem
    # document) answers for its paths.
    if _ANY_CONTROL.search(request.path):
        raise NotFound()


def _refuse_files() -> tuple[str, int] | None:
    if request.method in ("POST", "PUT", "PATCH") and request.files:
        return _render_error(
            400, _l("This form does not take files. Type the text into the form instead.")
        )
    return None


def _security_headers(response: Response) -> Response:
    headers = response.headers
    # Manage links and feeds carry their secret in the path: never send it as a Referer.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    hsts = current_app.config.get("STRICT_TRANSPORT_SECURITY")
    if hsts:
        headers.setdefault("Strict-Transport-Security", hsts)
    # Not on a 304: a cache adds its headers to the copy it keeps, which may be a calendar
    # or a sitemap; an HTML page's copy has its policy from its 200.
    if response.mimetype == "text/html" and response.status_code != 304:
        headers.setdefault("Content-Security-Policy", _CSP)
    # A page that names who may frame it (the embeddable event list) keeps that; no other
    # page may be framed.
    if "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "frame-ancestors 'none'"):
        headers.setdefault("X-Frame-Options", "DENY")
    # Pages behind a secret link or a login show personal data: kept by no cache at all.
    if request.path.startswith(
        ("/bookings/", "/unsubscribe/", "/feedback/", "/organisers/", "/check-in/")
    ):
        headers.setdefault("Cache-Control", "private, no-store")
    # An answer made with the visitor's session (a login, a form's CSRF token) is theirs
    # alone, whatever the view said: Flask sends it with the session cookie and
    # ``Vary: Cookie``, and no shared cache may keep it (a public feed fetched while logged
    # in, the registration form).
    if (
        session.accessed
        and session_in_play(session)
        and "public" in headers.get("Cache-Control", "public")
    ):
        headers["Cache-Control"] = "private, no-cache"
    return response


def init_app(app: Flask) -> None:
    app.request_class = Request
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, lambda _e: _render_error(500, _MESSAGES[500]))
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
    app.teardown_appcontext(_close_session)
    # After the limiter's and CSRF's checks (registered earlier), before every view.
    app.before_request(_refuse_controls_in_path)
    app.before_request(_refuse_files)
    app.after_request(_security_headers)
    from webapp.config import remember_request_host

    app.before_request(remember_request_host)
