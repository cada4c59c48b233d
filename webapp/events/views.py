"""Public pages: the event list and an event's page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from webapp.events import services
from webapp.events.models import EventKind
from webapp.events.page_versions import event_version, site_version
from webapp.http_cache import public_page
from webapp.organisations.services import public_project, renamed_slug
from webapp.regions import COUNTIES

bp = Blueprint("events", __name__)
bp.add_app_template_global(services.registration_phase)


def _filters_from_args() -> services.EventFilter:
    args = request.args
    kind = args.get("kind") or None
    county = args.get("county") or None
    return services.EventFilter(
        kind=EventKind(kind) if kind in EventKind._value2member_map_ else None,
        organisation=args.get("organisation") or None,
        project=args.get("project") or None,
        county=county if county in COUNTIES else None,
        past=args.get("when") == "past",
    )


@bp.get("/")
@public_page(site_version)
def index():
    current = renamed_slug(request.args.get("organisation"))
    if current:  # a link from before the organisation changed its address
        return redirect(
            url_for("events.index", **{**request.args, "organisation": current}), code=301
        )
    filters = _filters_from_args()
    # Clamped: a huge page number would overflow the database's OFFSET.
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    pagination = services.list_public_events(filters, page, current_app.config["EVENTS_PER_PAGE"])
    organisations, projects = services.filter_options()
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "events/index.html",
        pagination=pagination,
        filters=filters,
        organisations=organisations,
        projects=projects,
        kinds=list(EventKind),
        counties=COUNTIES.items(),
        query=query,
    )


@bp.get("/events/<int:event_id>")
@public_page(event_version)
def detail(event_id: int):
    event = services.get_public_event(event_id)
    if event is None:
        abort(404)
    return render_template(
        "events/detail.html", event=event, open=services.registration_open(event)
    )


@bp.get("/projects/<slug>")
@public_page(site_version)
def project(slug: str):
    found = public_project(slug)
    if found is None:
        abort(404)
    upcoming, past = services.project_events(found.id)
    return render_template("events/project.html", project=found, upcoming=upcoming, past=past)
