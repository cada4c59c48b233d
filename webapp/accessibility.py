"""What every page shares for accessibility, and the accessibility statement.

- ``note_page_errors()`` / ``page_has_errors()``: the form macro's error summary notes that
  the page shows errors, and base.html then starts the page's <title> with "Error".
- ``|authored``: text organisers wrote (event titles, summaries, descriptions) is in the
  site's content language (``CONTENT_LANGUAGE``, Swedish) unless it says otherwise (an
  event's English text, read through ``Event.text``, is a ``webapp.i18n.AuthoredText``
  with ``lang="en"``). Text in another language than the page's is wrapped in
  ``<span lang="sv">`` so that screen readers pronounce it right (WCAG 3.1.2).
- ``/favicon.ico`` for browsers and tools that ask for it whatever the page says.
- ``/accessibility``: the accessibility statement (tillgänglighetsredogörelse) that the law
  on accessibility to digital public services (2018:1937) requires, in the structure the
  supervisory authority DIGG publishes, with each organisation's contact address.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, current_app, g, render_template, send_from_directory
from markupsafe import Markup, escape

from webapp.db import db
from webapp.i18n import current_language
from webapp.organisations.models import Organisation

bp = Blueprint("accessibility", __name__)

#: When the statement was last reviewed, and when the checks it describes were last run
#: by hand (the automated ones run with every test run).
STATEMENT_UPDATED = date(2026, 12, 1)


def note_page_errors() -> str:
    """Record that the page being rendered shows form errors (returns "" for templates)."""
    g.page_has_errors = True
    return ""


def page_has_errors() -> bool:
    return bool(g.get("page_has_errors"))


def authored(text: object, lang: str | None = None) -> Markup:
    """Organisers' text, marked with its language when the page is in another one.

    The language is ``lang``, else the text's own (``AuthoredText.lang``), else the
    content language.
    """
    language = lang or getattr(text, "lang", None) or current_app.config["CONTENT_LANGUAGE"]
    if text is None or text == "":
        return Markup("")
    if current_language() == language:
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(language, text)


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(
        current_app.static_folder or "static",
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=7 * 24 * 3600,
    )


@bp.get("/accessibility")
def statement():
    organisations = db.session.scalars(db.select(Organisation).order_by(Organisation.name)).all()
    return render_template(
        "accessibility.html", organisations=organisations, updated=STATEMENT_UPDATED
    )


def _reset_page_state() -> None:
    g.pop("page_has_errors", None)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_reset_page_state)
    app.jinja_env.filters["authored"] = authored
    app.jinja_env.globals.update(note_page_errors=note_page_errors, page_has_errors=page_has_errors)
