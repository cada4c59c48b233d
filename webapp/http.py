"""Error pages and the security headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

_MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("The page could not be found. The link may be old or mistyped."),
    405: _l("That action is not possible here."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a moment and try again."),
    500: _l("Something went wrong on our side. Nothing you sent was saved; please try again."),
}

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


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


def _security_headers(response: Response) -> Response:
    headers = response.headers
    # Manage links and feeds carry their secret in the path: never send it as a Referer.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", _CSP)
    if request.path.startswith(("/bookings/", "/unsubscribe/")):
        headers.setdefault("Cache-Control", "private, no-store")
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, lambda _e: _render_error(500, _MESSAGES[500]))
    app.after_request(_security_headers)
    from webapp.config import remember_request_host

    app.before_request(remember_request_host)
