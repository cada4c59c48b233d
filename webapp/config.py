"""Configuration: defaults here, then ``instance/config.py``, then the environment.

The order follows Flask's tutorial: a sane default for development, an instance file for
one installation's settings, and environment variables for anything a deployment sets
(``DATABASE_URL``, ``SECRET_KEY``, ``MAIL_*``, ...). Tests pass a mapping that wins over all.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request


class Defaults:
    """Settings every installation starts from."""

    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in from instance_path when unset
    # A PostgreSQL connection may have died with a restart; SQLite drops the ping (load_config).
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session; forms left open still work
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")
    #: The language organisers write event texts in; marked with lang= on pages in another.
    CONTENT_LANGUAGE = "sv"
    # One catalogue per package that has user-facing text, relative to webapp/; Flask-Babel
    # merges them. Source strings are English, so only Swedish catalogues exist.
    BABEL_TRANSLATION_DIRECTORIES = ";".join(
        [
            "translations",
            "organisations/translations",
            "events/translations",
            "notifications/translations",
            "accounts/translations",
            "companies/translations",
            "aid/translations",
            "feedback/translations",
            "questions/translations",
            "meetings/translations",
            "directory/translations",
            "reports/translations",
            "privacy/translations",
            "api/translations",
            "checkin/translations",
        ]
    )
    # The largest real form, the registration with 25 participants and every field full,
    # is about 45,000 characters: at most 12 bytes each when percent-encoded UTF-8. A body
    # beyond this is not a form anyone filled in; it is answered 413 before being parsed.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Sent on every response when set; production sets it (HTTPS only, one year). The
    # parent domain is not ours, so no includeSubDomains.
    STRICT_TRANSPORT_SECURITY: str | None = None
    EVENTS_PER_PAGE = 20
    MAX_PARTICIPANTS_PER_BOOKING = 25
    # Rate limits on public POSTs; storage is Redis when RATELIMIT_STORAGE_URI points there.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    PUBLIC_POST_LIMIT = "20 per minute;200 per hour"
    # The manage page of a confirmed webinar booking says the room opens this long before
    # the start (most meeting services let people in a little early).
    JOIN_OPENS_MINUTES_BEFORE = 15
    # The JSON API, per client address: generous for a site that mirrors the calendar.
    API_RATE_LIMIT = "120 per minute;3000 per hour"
    # Organiser login and password-reset requests per client address and account together
    # (so no one elsewhere can lock an organiser out), and every account-form POST (login,
    # reset, invitation) per client address, whatever the account.
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    LOGIN_ADDRESS_RATE_LIMIT = "30 per minute;300 per hour"
    # Mail: with no MAIL_SERVER the outbox keeps every message for organisers to read.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Träffpunkt <no-reply@traffpunkt.local>"
    # Who answers questions about accounts (Reply-To of password resets) and emails of an
    # organisation without a contact address, e.g. "Träffpunkt support <support@…>".
    MAIL_REPLY_TO: str | None = None
    # Where links in emails and feeds point, e.g. https://traffpunkt.example.se. Required in
    # production; in development, when unset, links follow the host the site is served on.
    PUBLIC_BASE_URL: str | None = None
    # Personal data (webapp.privacy.retention, run daily). Rendered email content in the
    # outbox is erased this many days after sending; the row's kind, recipient domain,
    # status and times stay.
    OUTBOX_RETENTION_DAYS = 90
    # Participants and contacts of events that ended longer ago than this are anonymised,
    # unless the event's project sets its own period. Ten years: EU structural-fund projects
    # (ERDF) must keep the documents proving who took part for five years from 31 December
    # of the year of the managing authority's last payment (Regulation (EU) 2021/1060, art.
    # 82), and that payment comes after a project period of up to five years; an event on
    # the project's first day must therefore stay provable for about ten years.
    PERSONAL_DATA_RETENTION_YEARS = 10
    # Run the reminder scheduler inside the web process (development default).
    SCHEDULER_IN_PROCESS = False
    # Reverse proxies (load balancers) in front of the app; their X-Forwarded-* headers are
    # trusted for that many hops, so rate limits see the visitor's address, not the proxy's.
    PROXY_HOPS = 0
    # Outbox dispatcher: messages claimed per batch (one SMTP connection each), how long a
    # claim holds before a crashed run's messages are retried, attempts before a message
    # is marked failed, and the first retry delay (doubling with each attempt).
    OUTBOX_BATCH_SIZE = 500
    OUTBOX_LEASE_SECONDS = 300
    OUTBOX_MAX_ATTEMPTS = 6
    OUTBOX_RETRY_SECONDS = 60
    # Public pages (webapp.http_cache): how long a browser or proxy may keep one before
    # revalidating (and the period in which what changes with time alone is re-evaluated),
    # the shared cache of rendered pages and built feeds (Redis when CACHE_REDIS_URL is set,
    # e.g. redis://127.0.0.1:6379/1; in process otherwise), and how long an entry lives.
    PUBLIC_CACHE_SECONDS = 30
    CACHE_REDIS_URL: str | None = None
    CACHE_DEFAULT_TIMEOUT = 600
    CACHE_THRESHOLD = 2000
    # Per process, the whole answers the front (webapp.front) repeats without Flask; 0: off.
    FRONT_CACHE_BYTES = 32 * 1024 * 1024
    # One JSON line per request and per dispatched outbox batch when "json".
    LOG_FORMAT = "text"
    # Show every queued email rendered at /dev/outbox (always on while app.debug).
    SHOW_OUTBOX = False
    ENV_NAME = "development"


# Environment variables read as they are, and those parsed as booleans or integers.
_ENV_STRINGS = (
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "MAIL_REPLY_TO",
    "PUBLIC_BASE_URL",
    "RATELIMIT_STORAGE_URI",
    "API_RATE_LIMIT",
    "ENV_NAME",
    "CACHE_REDIS_URL",
    "LOG_FORMAT",
)
_ENV_BOOLS = ("MAIL_USE_TLS", "MAIL_USE_SSL", "SCHEDULER_IN_PROCESS", "SHOW_OUTBOX")
_ENV_INTS = (
    "MAIL_PORT",
    "PROXY_HOPS",
    "PUBLIC_CACHE_SECONDS",
    "FRONT_CACHE_BYTES",
    "OUTBOX_BATCH_SIZE",
    "OUTBOX_LEASE_SECONDS",
    "OUTBOX_MAX_ATTEMPTS",
    "OUTBOX_RETRY_SECONDS",
)


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Point plain ``postgres://`` and ``postgresql://`` URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, the instance file, the environment and tests."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name in _ENV_STRINGS:
        if name in os.environ:
            app.config[name] = os.environ[name]
    for name in _ENV_BOOLS:
        if name in os.environ:
            app.config[name] = _truthy(os.environ[name])
    for name in _ENV_INTS:
        if name in os.environ:
            app.config[name] = int(os.environ[name])
    if "DATABASE_URL" in os.environ:
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)

    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + str(Path(app.instance_path) / "traffpunkt.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this host never drops a connection: nothing for a ping to find.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret(app)
    app.config["MAIL_SUPPRESS_SEND"] = not app.config.get("MAIL_SERVER")
    if app.config["ENV_NAME"] == "production":
        if not app.config.get("PUBLIC_BASE_URL"):
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production (environment or instance/config.py), "
                "e.g. PUBLIC_BASE_URL=https://traffpunkt.example.se: links in emails and "
                "calendar feeds are built on it"
            )
        # Production is served over HTTPS: session and login cookies never travel in clear.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        if not app.config["STRICT_TRANSPORT_SECURITY"]:
            app.config["STRICT_TRANSPORT_SECURITY"] = "max-age=31536000"


#: Development without PUBLIC_BASE_URL: links fall back to this until a request is served.
_DEVELOPMENT_FALLBACK = "http://localhost:5000"


def public_base_url() -> str:
    """Where links in emails and feeds point, without a trailing slash.

    ``PUBLIC_BASE_URL`` when set (always in production). Otherwise, in development, the
    host and port of the current request, or outside a request (the in-process scheduler
    sending emails) of the last request served by this process.
    """
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return current_app.extensions.get("traffpunkt_last_host", _DEVELOPMENT_FALLBACK)


def remember_request_host() -> None:
    """Development: note the host served on, for links made outside requests."""
    if not current_app.config.get("PUBLIC_BASE_URL"):
        current_app.extensions["traffpunkt_last_host"] = request.host_url.rstrip("/")


def _development_secret(app: Flask) -> str:
    """Generate a secret key once into ``instance/`` for development; refuse in production.

    In production a missing key is a deployment mistake: sessions, CSRF tokens and every
    manage link derive from it, so a key made up on the spot would break them on restart
    or differ between hosts.
    """
    if app.config.get("ENV_NAME") == "production":
        raise RuntimeError(
            "SECRET_KEY must be set in production (environment or instance/config.py)"
        )
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
