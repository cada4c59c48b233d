"""An event list for other websites: a page made for an ``<iframe>``, and the snippet to paste.

``/embed/events`` shows the upcoming published events, narrowed by kind, organisation,
project or county, in the visitor's language (``Accept-Language``, or ``lang`` when the
snippet fixes one). It is made for a frame on any site:

- it may be framed anywhere (``frame-ancestors *``, no ``X-Frame-Options``);
- it sets no cookie and reads none (no form, no session, no CSRF token), so browsers that
  block third-party cookies show it the same;
- every link opens in the top window (``<base target="_top">``): registering happens on
  Träffpunkt's own page, never inside someone else's;
- a small script (``static/api/embed.js``) tells the parent page its height with
  ``postMessage``; the snippet's script (``static/api/embed-host.js``) sets the frame's
  height from it, accepting messages only from Träffpunkt's origin and that frame.

Without scripts the frame keeps its height and scrolls.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from webapp.api import queries
from webapp.api.params import BadParameter, EventQuery, slug
from webapp.db import db, utcnow
from webapp.events.feeds import public_url
from webapp.events.models import EventKind
from webapp.events.page_versions import site_version
from webapp.events.services import registration_open
from webapp.http_cache import public_page
from webapp.i18n import current_language
from webapp.organisations.models import Organisation, Project
from webapp.organisations.services import renamed_slug
from webapp.regions import COUNTIES

bp = Blueprint("embed", __name__)

EMBED_LIMIT_DEFAULT = 10
EMBED_LIMIT_MAX = 50
FILTERS = ("kind", "organisation", "project", "county")
_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "base-uri 'self'; form-action 'none'; frame-ancestors *"
)


def _filter_args() -> dict[str, str]:
    """The filters asked for; old snippets with a kind or county we no longer know show all."""
    args = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    if args.get("kind") not in EventKind._value2member_map_:
        args.pop("kind", None)
    if args.get("county") not in COUNTIES:
        args.pop("county", None)
    try:
        for name in ("organisation", "project"):
            if name in args:
                slug(args[name], name)
    except BadParameter:
        abort(404)
    return args


def _limit() -> int:
    value = request.args.get("limit", type=int) or EMBED_LIMIT_DEFAULT
    return min(max(value, 1), EMBED_LIMIT_MAX)


def _about(args: dict[str, str]) -> str | None:
    """The organisation's or project's name for the heading (one query), if filtered by one."""
    if "project" in args:
        return db.session.scalar(select(Project.name).where(Project.slug == args["project"]))
    if "organisation" in args:
        return db.session.scalar(
            select(Organisation.name).where(Organisation.slug == args["organisation"])
        )
    return None


@bp.get("/embed/events")
@public_page(site_version, headers={"Content-Security-Policy": _CSP})
def events() -> Response:
    args = _filter_args()
    about = _about(args)
    if about is None and "organisation" in args:
        current = renamed_slug(args["organisation"])
        if current:  # a snippet pasted on another site before the organisation moved
            return redirect(
                url_for("embed.events", **{**request.args, "organisation": current}), code=301
            )
    lang = request.args.get("lang")
    language = lang if lang in current_app.config["LANGUAGES"] else current_language()
    query = EventQuery(
        kind=EventKind(args["kind"]) if "kind" in args else None,
        organisation=args.get("organisation"),
        project=args.get("project"),
        county=args.get("county"),
        limit=_limit(),
    )
    now = utcnow()
    page, more = queries.event_page(query, now)
    with force_locale(language):
        html = render_template(
            "api/embed.html",
            events=page,
            more=more,
            about=about,
            kind=EventKind(args["kind"]) if "kind" in args else None,
            open={e.id: registration_open(e, now) for e in page},
            all_url=public_url("events.index", **args),
            language=language,
        )
    response = Response(html, mimetype="text/html", headers={"Content-Security-Policy": _CSP})
    response.vary.add("Accept-Language")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@dataclass(frozen=True)
class Snippet:
    """What to paste into another website (``code``), and the page it frames (``src``)."""

    src: str
    code: str


def _snippet(endpoint: str, title: str, args: dict[str, str]) -> Snippet:
    """A frame of ``endpoint`` with ``args`` and the script that sizes it to its content."""
    src = public_url(endpoint, **args)
    code = Markup(
        '<iframe src="{src}" title="{title}" width="100%" height="600" style="border:0" '
        'loading="lazy" data-traffpunkt-embed></iframe>\n'
        '<script src="{script}" async></script>'
    ).format(src=src, title=title, script=public_url("static", filename="api/embed-host.js"))
    return Snippet(src, str(code))


def embed_snippet(**filters: str | None) -> Snippet:
    """The snippet showing these events on another website (a template global).

    ``filters`` are the list's: kind, organisation, project, county (empty ones are left out).
    """
    args = {k: str(v) for k, v in filters.items() if k in FILTERS and v}
    return _snippet("embed.events", _("Upcoming events on Träffpunkt"), args)


# --- the company directory ------------------------------------------------------------------

DIRECTORY_FILTERS = ("q", "industry", "county", "country", "project")


@bp.get("/embed/directory")
def directory() -> Response:
    """The public company directory (webapp.directory), for a frame: the same promises as
    the event list (no cookie, links in the top window, forgiving about old filters)."""
    from webapp.directory import services as directory_services

    args = {name: request.args[name] for name in DIRECTORY_FILTERS if request.args.get(name)}
    project = None
    if "project" in args:
        try:
            slug(args["project"], "project")
        except BadParameter:
            abort(404)
        project = directory_services.project_by_slug(args["project"])
        if project is None:
            abort(404)
    lang = request.args.get("lang")
    language = lang if lang in current_app.config["LANGUAGES"] else current_language()
    filters = directory_services.DirectoryFilter.from_args(
        args, project.id if project is not None else None
    )
    page = directory_services.search(filters, 1, _limit())
    with force_locale(language):
        html = render_template(
            "api/embed_directory.html",
            pagination=page,
            project=project,
            all_url=public_url("directory.index", **{k: v for k, v in args.items() if k != "lang"}),
            language=language,
        )
    response = Response(html, mimetype="text/html", headers={"Content-Security-Policy": _CSP})
    response.vary.add("Accept-Language")
    # Short: a withdrawn or hidden profile must leave other sites' pages soon too.
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


def directory_embed_snippet(**filters: str | None) -> Snippet:
    """The snippet showing the company directory on another website (a template global);
    ``filters`` are the directory's: q, industry, county, country, project."""
    args = {k: str(v) for k, v in filters.items() if k in DIRECTORY_FILTERS and v}
    return _snippet("embed.directory", _("Company directory on Träffpunkt"), args)
