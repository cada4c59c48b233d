"""``/sitemap.xml`` of the published events and ``/robots.txt`` pointing to it.

The sitemap lists the event list and every published event's page with its last change,
in one query of two columns whatever the number of events. The sitemap protocol allows
50,000 URLs per file; the newest events are kept when there are more (a sitemap index
would be the next step, far beyond the size of a regional calendar).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Blueprint, Response, request
from sqlalchemy import select

from webapp.db import db
from webapp.events.feeds import base_url, public_url
from webapp.events.models import Event, EventStatus
from webapp.events.page_versions import site_version
from webapp.http_cache import public_page

bp = Blueprint("seo", __name__)

SITEMAP_LIMIT = 50_000
_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"

#: Paths crawlers have no business in: manage links, organiser pages, private feeds, and the
#: embedded list (its events are on their own pages).
_DISALLOW = ("/bookings/", "/organisers/", "/feeds/p/", "/feeds/b/", "/dev/", "/embed/")


def _url(loc: str, lastmod: str | None = None) -> str:
    modified = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{modified}</url>"


@bp.get("/sitemap.xml")
@public_page(site_version)
def sitemap() -> Response:
    rows = db.session.execute(
        select(Event.id, Event.updated_at)
        .where(Event.status == EventStatus.PUBLISHED)
        .order_by(Event.id.desc())
        .limit(SITEMAP_LIMIT - 1)
    ).all()
    entries = [_url(public_url("events.index"))]
    entries += [
        _url(
            public_url("events.detail", event_id=event_id),
            updated.date().isoformat() if updated else None,
        )
        for event_id, updated in reversed(rows)
    ]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="{_NAMESPACE}">\n' + "\n".join(entries) + "\n</urlset>\n"
    )
    response = Response(body, mimetype="application/xml")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in _DISALLOW)]
    lines += ["", f"Sitemap: {base_url()}/sitemap.xml", ""]
    return Response("\n".join(lines), mimetype="text/plain")
