"""Language choice and the date and time formats every page, email and export uses.

The language follows ``?lang=`` in the URL (feeds, the embed, shared links), then the
visitor's choice (a switch on every page, kept in a ``lang`` cookie set only by the switch:
no server session, so public pages stay cacheable, see ``webapp.http_cache``), then the
browser's Accept-Language, then Swedish. Times use the 24-hour clock, always in
Europe/Stockholm whatever the language. Dates in tables, exports and forms are ISO 8601
(2026-03-14); a date that stands alone in running text carries its weekday, in the
page's language ("tis 15 dec 2026", "Tue 15 Dec 2026": filters ``longdate``, ``longspan``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import click
from babel.dates import format_date as babel_format_date
from flask import Blueprint, Flask, current_app, has_request_context, redirect, request
from flask.cli import with_appcontext
from flask_babel import get_locale

from webapp.extensions import babel

STOCKHOLM = ZoneInfo("Europe/Stockholm")

LANG_COOKIE = "lang"

bp = Blueprint("site", __name__)


class AuthoredText(str):
    """Text an organiser wrote, with the language it is written in (``lang``).

    ``|authored`` (webapp.accessibility) reads ``lang`` to mark the text for screen readers
    when it differs from the page's language.
    """

    lang: str

    def __new__(cls, text: str, lang: str) -> AuthoredText:
        value = super().__new__(cls, text)
        value.lang = lang
        return value


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, the scheduler: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    for chosen in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in languages:
            return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_language() -> str:
    return str(get_locale().language)


def local(value: datetime) -> datetime:
    """The moment in Europe/Stockholm."""
    return value.astimezone(STOCKHOLM)


def format_date(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d") if value else ""


def format_time(value: datetime | None) -> str:
    return local(value).strftime("%H:%M") if value else ""


def format_datetime(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def format_amount(value: object, decimals: int = 2) -> str:
    """A sum of money or a rate with a space between thousands and ``decimals`` decimals,
    the decimal sign as the language writes it: 12 345,67 in Swedish, 12 345.67 in English."""
    text = f"{value:,.{decimals}f}".replace(",", " ")
    return text.replace(".", ",") if current_language() == "sv" else text


def format_span(starts: datetime | None, ends: datetime | None) -> str:
    """``2026-03-14 09:00–16:00``, or ``2026-03-14 09:00 – 2026-03-15 16:00`` across days."""
    if not starts or not ends:
        return ""
    if local(starts).date() == local(ends).date():
        return f"{format_datetime(starts)}–{format_time(ends)}"
    return f"{format_datetime(starts)} – {format_datetime(ends)}"


def format_long_date(value: datetime | None) -> str:
    """``tis 15 dec 2026`` / ``Tue 15 Dec 2026``: weekday, day, short month, year."""
    if not value:
        return ""
    text = babel_format_date(local(value).date(), "EEE d MMM y", locale=current_language())
    return text.replace(".", "")  # CLDR's Swedish "dec." – the short forms read fine bare


def format_long_span(starts: datetime | None, ends: datetime | None) -> str:
    """``tis 15 dec 2026 09:00–16:00``, or both ends in full across days."""
    if not starts or not ends:
        return ""
    first = f"{format_long_date(starts)} {format_time(starts)}"
    if local(starts).date() == local(ends).date():
        return f"{first}–{format_time(ends)}"
    return f"{first} – {format_long_date(ends)} {format_time(ends)}"


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything pointing elsewhere becomes the front page."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.route("/language", methods=["GET", "POST"])
def set_language():
    """Keep the visitor's language in a cookie and go back to the page.

    No CSRF token: the form is on every page, and a token would give every visitor a
    session (and every page ``Set-Cookie``). Another site making a visitor switch language
    does no harm they cannot undo with one click.
    """
    values = request.values
    lang = values.get("lang", "")
    chosen = lang in current_app.config["LANGUAGES"]
    target = safe_next(values.get("next"))
    response = redirect(_with_language(target, lang) if chosen else target, code=303)
    if chosen:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


def _with_language(target: str, lang: str) -> str:
    """``target`` with the ``lang`` of its query, if it has one, set to ``lang``: the URL's
    language wins over the cookie, so a switch that left it would change nothing."""
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if all(name != "lang" for name, _value in query):
        return target
    query = [(name, lang if name == "lang" else value) for name, value in query]
    return urlunsplit(parts._replace(query=urlencode(query)))


def catalogue_paths(app: Flask) -> list[Path]:
    """The Swedish .po catalogues of every package, in the order Flask-Babel reads them."""
    paths = []
    for directory in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"):
        po = Path(app.root_path) / directory / "sv" / "LC_MESSAGES" / "messages.po"
        if po.exists():
            paths.append(po)
    return paths


def compile_catalogues(app: Flask) -> int:
    """Compile every .po next to itself as .mo (they are build output, not committed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    paths = catalogue_paths(app)
    for po in paths:
        with po.open("rb") as po_file:
            catalog = read_po(po_file)
        with po.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)
    return len(paths)


@click.command("compile-translations")
@with_appcontext
def compile_translations_command() -> None:
    """Compile the translation catalogues (run before serving)."""
    count = compile_catalogues(current_app)
    click.echo(f"Compiled {count} catalogue(s).")


def init_app(app: Flask) -> None:
    app.cli.add_command(compile_translations_command)
    babel.init_app(app, locale_selector=select_locale)
    from webapp.extensions import csrf

    csrf.exempt(set_language)
    app.register_blueprint(bp)
    app.jinja_env.filters.update(
        date=format_date,
        time=format_time,
        datetime=format_datetime,
        span=format_span,
        longdate=format_long_date,
        longspan=format_long_span,
    )
    from webapp.regions import country_name, county_name

    app.jinja_env.globals.update(
        current_language=current_language,
        country_name=country_name,
        county_name=county_name,
        format_amount=format_amount,
    )
