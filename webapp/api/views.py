"""The read-only JSON API at ``/api/v1/``; ``openapi.json`` describes every answer.

- GET (and HEAD) only: any other method gets ``405`` with ``Allow``; CORS is open to every
  origin (the data is public, nothing is personal, no cookie is read), and the preflight a
  browser sends for ``If-None-Match`` is answered.
- Every ``200`` carries a strong ``ETag`` (a hash of the body) and ``Cache-Control:
  public``; a client that sends it back gets ``304`` without the body.
- Errors are RFC 9457 problem documents (``application/problem+json``) in the client's
  language (``Accept-Language``), never an HTML page; a parameter the document refuses is a
  ``400`` naming it.
- Rate-limited per client address (``API_RATE_LIMIT``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from webapp.api import openapi, queries, serialise
from webapp.api.params import (
    MAX_ID,
    BadParameter,
    Cursor,
    directory_query,
    encode_profile_cursor,
    event_query,
    whole_number,
)
from webapp.api.params import slug as check_slug
from webapp.db import utcnow
from webapp.directory import services as directory_services
from webapp.events.feeds import public_url
from webapp.events.page_versions import site_version
from webapp.events.services import get_public_event
from webapp.extensions import limiter
from webapp.http_cache import public_page
from webapp.i18n import current_language

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PROBLEM = "application/problem+json"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
_OTHER_METHODS = ["POST", "PUT", "PATCH", "DELETE", "TRACE"]
EVENT_PARAMETERS = ("kind", "organisation", "project", "county", "from", "to", "limit", "cursor")
DIRECTORY_PARAMETERS = ("q", "industry", "county", "country", "project", "limit", "cursor")

_TITLES = {
    400: _l("A parameter is not valid."),
    404: _l("There is nothing here: the address is wrong, or what it names is not published."),
    405: _l("The API only reads: use GET."),
    429: _l("Too many requests. Wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again."),
}


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_rate_limit, methods=["GET", "HEAD"])(bp)


def problem(status: int, detail: object | None = None, **extra: Any) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(_TITLES.get(status, _TITLES[500] if status >= 500 else _TITLES[400])),
        "status": status,
    }
    if detail is not None:
        body["detail"] = str(detail)
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    response.vary.add("Accept-Language")
    response.cache_control.no_store = True
    return response


def json_response(data: object) -> Response:
    """``200`` with an ETag over the body, or ``304`` when the client already has it."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    # Events' texts are in the request's language where they have it (serialise).
    response.vary.add("Accept-Language")
    response.headers["Content-Language"] = current_language()
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response.make_conditional(request)


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Response:
    return problem(
        400,
        _("%(name)s: %(message)s", name=error.name, message=error.message),
        invalid_params=[{"name": error.name, "reason": str(error.message)}],
    )


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    response = problem(error.code or 500)
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(READ_METHODS)
    return response


@bp.errorhandler(500)
def _server_error(_error: Exception) -> Response:
    return problem(500)


@bp.after_request
def _cors(response: Response) -> Response:
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = (
        "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
    )
    if request.method == "OPTIONS":
        headers["Allow"] = ", ".join(READ_METHODS)
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    return response


# --- endpoints ---------------------------------------------------------------------------


@bp.get("/")
@public_page(site_version)
def index() -> Response:
    """Where everything is."""
    return json_response(
        {
            "openapi": public_url("api.spec"),
            "events": public_url("api.events"),
            "organisations": public_url("api.organisations"),
            "projects": public_url("api.projects"),
            "directory": public_url("api.directory"),
        }
    )


@bp.get("/openapi.json")
@public_page(site_version)
def spec() -> Response:
    return json_response(openapi.document(public_url("api.index").rstrip("/")))


@bp.get("/events")
@public_page(site_version)
def events() -> Response:
    """Published events still running or to come (or in the dates asked for), by start."""
    query = event_query(request)
    now = utcnow()
    page, more = queries.event_page(query, now)
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = Cursor(last.starts_at, last.id).encode()
    args = {k: request.args[k] for k in EVENT_PARAMETERS if k in request.args}
    following = {k: v for k, v in args.items() if k != "cursor"}
    return json_response(
        {
            "data": [serialise.event_summary(e, now) for e in page],
            "next_cursor": next_cursor,
            "links": {
                "self": public_url("api.events", **args),
                "next": public_url("api.events", **following, cursor=next_cursor)
                if next_cursor
                else None,
            },
        }
    )


@bp.get("/events/<event_id>")
@public_page(site_version)
def event(event_id: str) -> Response:
    """A published or cancelled event with its sessions."""
    # Read here rather than by an <int:> converter, whose range check fails in routing,
    # before the API's problem documents can answer.
    number = whole_number(event_id, 1, MAX_ID)
    if number is None:
        raise NotFound()
    found = get_public_event(number)
    if found is None:
        raise NotFound()
    return json_response(serialise.event_detail(found, utcnow()))


@bp.get("/organisations")
@public_page(site_version)
def organisations() -> Response:
    return json_response({"data": [serialise.organisation(o) for o in queries.organisations()]})


@bp.get("/organisations/<slug>")
@public_page(site_version)
def organisation(slug: str) -> Response:
    found = queries.organisations(_path_slug(slug))
    if not found:
        raise NotFound()
    return json_response(serialise.organisation(found[0]))


@bp.get("/projects")
@public_page(site_version)
def projects() -> Response:
    return json_response({"data": [serialise.project(p) for p in queries.projects()]})


@bp.get("/projects/<slug>")
@public_page(site_version)
def project(slug: str) -> Response:
    found = queries.projects(_path_slug(slug))
    if not found:
        raise NotFound()
    return json_response(serialise.project(found[0]))


@bp.get("/directory")
def directory() -> Response:
    """Published company profiles (webapp.directory), by id; filters as on the page."""
    query = directory_query(request)
    project_id = None
    if query.project is not None:
        found = directory_services.project_by_slug(query.project)
        # An unknown project has no companies: an empty page, as for events.
        project_id = found.id if found is not None else 0
    filters = directory_services.DirectoryFilter(
        search=query.search,
        industry=query.industry,
        county=query.county,
        country=query.country,
        project_id=project_id,
    )
    page, more = directory_services.after(filters, query.after_id, query.limit)
    next_cursor = encode_profile_cursor(page[-1].id) if more else None
    args = {k: request.args[k] for k in DIRECTORY_PARAMETERS if k in request.args}
    following = {k: v for k, v in args.items() if k != "cursor"}
    response = json_response(
        {
            "data": [serialise.company_profile(p) for p in page],
            "next_cursor": next_cursor,
            "links": {
                "self": public_url("api.directory", **args),
                "next": public_url("api.directory", **following, cursor=next_cursor)
                if next_cursor
                else None,
            },
        }
    )
    return _short_lived(response)


@bp.get("/directory/<profile_id>")
def directory_profile(profile_id: str) -> Response:
    """One published company profile."""
    number = whole_number(profile_id, 1, MAX_ID)
    found = directory_services.public_profile(number) if number is not None else None
    if found is None:
        raise NotFound()
    return _short_lived(json_response(serialise.company_profile(found)))


def _short_lived(response: Response) -> Response:
    # A withdrawn or hidden profile must leave caches at once: revalidate every time
    # (the ETag still spares the body).
    if response.status_code == 200:
        response.cache_control.max_age = 0
        response.cache_control.no_cache = True
    return response


def _path_slug(value: str) -> str:
    """A slug from the path; one that cannot exist is simply not found."""
    try:
        return check_slug(value, "slug")
    except BadParameter:
        raise NotFound() from None


@bp.route("/", methods=_OTHER_METHODS, endpoint="other_methods_index")
@bp.route("/<path:rest>", methods=[*READ_METHODS, *_OTHER_METHODS])
def fallback(rest: str = "") -> Response:
    """Whatever no endpoint takes: ``405`` on an API path, ``404`` elsewhere, as problems.

    Without this, the site's HTML error pages would answer under ``/api/v1/``.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _args = adapter.match(method="GET")
    except HTTPException:
        endpoint = None
    if endpoint in (None, "api.fallback") or request.method in READ_METHODS:
        raise NotFound()
    raise MethodNotAllowed(valid_methods=list(READ_METHODS))
