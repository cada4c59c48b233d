"""The OpenAPI 3.1 document of ``/api/v1/``: every path, parameter and response.

It is the contract, and the tests hold the code to it: schemathesis generates requests
from it and checks every answer against it (status, content type, headers, body schema),
and a test checks that the document and the URL map list the same paths. Objects are
closed (``additionalProperties: false``), so a field added to ``serialise`` without being
described here fails the tests.
"""

from __future__ import annotations

from typing import Any

from webapp.api import params
from webapp.directory.models import INDUSTRIES, LANGUAGES
from webapp.events.models import EventKind, EventStatus
from webapp.regions import COUNTIES, COUNTRIES


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}
URL = {"type": "string", "format": "uri"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with the Europe/Stockholm offset of that moment.",
}
SLUG = {"type": "string", "pattern": params.SLUG_PATTERN, "maxLength": params.SLUG_MAX}
COUNTY = {
    "type": "string",
    "enum": list(COUNTIES),
    "description": "Statistics Sweden's county (län) code.",
}
COUNTRY = {"type": "string", "enum": list(COUNTRIES), "description": "ISO 3166-1 alpha-2 code."}

_EVENT_SUMMARY = {
    "id": INTEGER,
    "title": STRING,
    "summary": STRING,
    "kind": {"type": "string", "enum": [k.value for k in EventKind]},
    "status": {
        "type": "string",
        "enum": [EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value],
        "description": "The list holds published events; one event may also be cancelled.",
    },
    "starts_at": _nullable(TIME),
    "ends_at": _nullable(TIME),
    "organisation": _ref("Ref"),
    "project": {"oneOf": [_ref("Ref"), {"type": "null"}]},
    "place": _ref("Place"),
    "seats": _ref("Seats"),
    "registration": _ref("Registration"),
    "links": _ref("EventLinks"),
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "An RFC 9457 problem document, in the language of Accept-Language.",
        "properties": {
            "type": STRING,
            "title": STRING,
            "status": INTEGER,
            "detail": STRING,
            "invalid_params": {
                "type": "array",
                "items": _object({"name": STRING, "reason": STRING}),
            },
        },
        "required": ["type", "title", "status"],
        "additionalProperties": False,
    },
    "Ref": _object({"slug": SLUG, "name": STRING}, "An organisation or project, briefly."),
    "Place": _object(
        {
            "online": BOOLEAN,
            "venue": _nullable(STRING),
            "city": _nullable(STRING),
            "county": {"oneOf": [COUNTY, {"type": "null"}]},
            "country": {"type": "string", "description": "ISO 3166-1 alpha-2 code."},
        },
        "Where it happens. The join link of an online event is only sent to participants.",
    ),
    "Seats": _object(
        {
            "capacity": {**_nullable(INTEGER), "description": "Seats; null for unlimited."},
            "seats_left": _nullable(INTEGER),
            "waiting_list": {
                "type": "boolean",
                "description": "Full: a registration now goes on the waiting list.",
            },
        }
    ),
    "Registration": _object(
        {
            "open": BOOLEAN,
            "opens_at": _nullable(TIME),
            "closes_at": _nullable(TIME),
            "requires_approval": {
                "type": "boolean",
                "description": "The organiser selects the companies after registration.",
            },
            "max_per_company": _nullable(INTEGER),
        }
    ),
    "EventLinks": _object(
        {
            "self": URL,
            "page": URL,
            "registration": {**URL, "description": "Where companies register."},
            "ics": {**URL, "description": "The event as an iCalendar file."},
        }
    ),
    "EventSummary": _object(_EVENT_SUMMARY),
    "Session": _object(
        {
            "id": INTEGER,
            "title": _nullable(STRING),
            "starts_at": TIME,
            "ends_at": TIME,
            "venue": _nullable(STRING),
            "cancelled": BOOLEAN,
        }
    ),
    "Event": _object(
        {
            **_EVENT_SUMMARY,
            "description": STRING,
            "cancelled_at": _nullable(TIME),
            "previous_starts_at": {
                **_nullable(TIME),
                "description": "The start before the event was last moved, if it was.",
            },
            "updated_at": {
                **TIME,
                "description": "The last change to the event, seats taken or freed included.",
            },
            "sessions": {"type": "array", "items": _ref("Session")},
        }
    ),
    "EventPage": _object(
        {
            "data": {"type": "array", "items": _ref("EventSummary")},
            "next_cursor": {
                **_nullable(STRING),
                "description": "Pass as `cursor` for the next page; null on the last page.",
            },
            "links": _object({"self": URL, "next": _nullable(URL)}),
        }
    ),
    "Organisation": _object(
        {
            "slug": SLUG,
            "name": STRING,
            "county": {"oneOf": [COUNTY, {"type": "null"}]},
            "website": _nullable(STRING),
            "links": _object({"self": URL, "events": URL, "page": URL, "ics": URL}),
        }
    ),
    "OrganisationList": _object({"data": {"type": "array", "items": _ref("Organisation")}}),
    "Project": _object(
        {
            "slug": SLUG,
            "name": STRING,
            "funder": _nullable(STRING),
            "funder_reference": _nullable(STRING),
            "organisation": _ref("Ref"),
            "partners": {"type": "array", "items": _ref("Ref")},
            "links": _object({"self": URL, "events": URL, "page": URL, "ics": URL}),
        }
    ),
    "ProjectList": _object({"data": {"type": "array", "items": _ref("Project")}}),
    "CompanyProfile": _object(
        {
            "id": INTEGER,
            "name": {"type": "string", "description": "The company's name in the register."},
            "offers": STRING,
            "seeks": {"type": "string", "description": "What the company is looking for."},
            "description": _object({"sv": STRING, "en": STRING}, "Either may be empty."),
            "website": _nullable(URL),
            "languages": {
                "type": "array",
                "items": {"type": "string", "enum": list(LANGUAGES)},
                "description": "ISO 639-1 codes of the languages the company works in.",
            },
            "industry": {
                "oneOf": [
                    {
                        "type": "string",
                        "enum": list(INDUSTRIES),
                        "description": "SNI 2007 section.",
                    },
                    {"type": "null"},
                ]
            },
            "county": {"oneOf": [COUNTY, {"type": "null"}]},
            "country": COUNTRY,
            "published_at": TIME,
            "links": _object({"self": URL, "page": URL}),
        },
        "A company's public profile in the directory, published by the company itself. "
        "No person's name or contact details.",
    ),
    "DirectoryPage": _object(
        {
            "data": {"type": "array", "items": _ref("CompanyProfile")},
            "next_cursor": {
                **_nullable(STRING),
                "description": "Pass as `cursor` for the next page; null on the last page.",
            },
            "links": _object({"self": URL, "next": _nullable(URL)}),
        }
    ),
    "Index": _object(
        {"openapi": URL, "events": URL, "organisations": URL, "projects": URL, "directory": URL}
    ),
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_DATE = {"type": "string", "format": "date", "pattern": params.DATE_PATTERN}

EVENT_PARAMETERS = [
    _query("kind", {"type": "string", "enum": [k.value for k in EventKind]}, "Only this kind."),
    _query("organisation", SLUG, "Only events run by the organisation with this slug."),
    _query("project", SLUG, "Only events of the project with this slug."),
    _query("county", COUNTY, "Only events taking place in this county."),
    _query("from", _DATE, "Events still running on or after this day (default: now)."),
    _query("to", _DATE, "Events starting on or before this day; not before `from`."),
    _query(
        "limit",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": params.LIMIT_MAX,
            "default": params.LIMIT_DEFAULT,
        },
        "Events per page.",
    ),
    _query(
        "cursor",
        {"type": "string", "pattern": params.CURSOR_PATTERN, "maxLength": params.CURSOR_MAX},
        "`next_cursor` of the page before. Opaque; only cursors the API gave out are valid.",
    ),
]

DIRECTORY_PARAMETERS = [
    _query(
        "q",
        {"type": "string", "maxLength": params.SEARCH_MAX},
        "Words in the company's name, offer, wishes or description (all must occur).",
    ),
    _query(
        "industry",
        {"type": "string", "enum": list(INDUSTRIES)},
        "Only companies in this SNI 2007 section.",
    ),
    _query("county", COUNTY, "Only companies in this county."),
    _query("country", COUNTRY, "Only companies in this country."),
    _query("project", SLUG, "Only companies that took part in the project's events."),
    EVENT_PARAMETERS[-2],
    EVENT_PARAMETERS[-1],
]

_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of a copy you have: if it is current the answer is 304.",
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def _get(
    summary: str,
    schema: str | dict[str, Any],
    *,
    parameters: list[dict[str, Any]] = (),
    not_found: bool = False,
    bad_request: bool = False,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "headers": {
                "ETag": {"required": True, "schema": {"type": "string"}},
                "Access-Control-Allow-Origin": {"required": True, "schema": {"const": "*"}},
            },
            "content": {
                "application/json": {"schema": _ref(schema) if isinstance(schema, str) else schema}
            },
        },
        "304": {"description": "Not modified: the copy with the ETag sent is current."},
        "429": _problem("Too many requests from this address; see Retry-After."),
    }
    if bad_request:
        responses["400"] = _problem("A parameter is not valid; `invalid_params` says which.")
    if not_found:
        responses["404"] = _problem("No such published item.")
    return {
        "summary": summary,
        "operationId": summary.lower().replace(" ", "_").replace(",", ""),
        "parameters": [*parameters, _IF_NONE_MATCH],
        "responses": responses,
    }


def _path_slug(what: str) -> dict[str, Any]:
    return {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": SLUG,
        "description": f"The {what}'s slug.",
    }


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document for the API served at ``server_url``."""
    event_id = {
        "name": "event_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": params.MAX_ID},
    }
    profile_id = {**event_id, "name": "profile_id"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Träffpunkt API",
            "version": "1.0.0",
            "description": (
                "Read-only, public: published events of regional business-support "
                "organisations, their organisations and funded projects, and the profiles "
                "companies chose to publish in the company directory. No personal data. "
                "GET only, CORS open, ETag and 304, rate-limited per address. Times are ISO "
                "8601 with the Europe/Stockholm offset. An event's title, summary, "
                "description, venue and session titles are in English when Accept-Language "
                "asks for English and the organiser gave them in English, else in Swedish."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/": {"get": _get("Index", "Index")},
            "/openapi.json": {"get": _get("OpenAPI document", {"type": "object"})},
            "/events": {
                "get": _get(
                    "List events",
                    "EventPage",
                    parameters=EVENT_PARAMETERS,
                    bad_request=True,
                )
            },
            "/events/{event_id}": {
                "get": _get("Get event", "Event", parameters=[event_id], not_found=True)
            },
            "/organisations": {"get": _get("List organisations", "OrganisationList")},
            "/organisations/{slug}": {
                "get": _get(
                    "Get organisation",
                    "Organisation",
                    parameters=[_path_slug("organisation")],
                    not_found=True,
                )
            },
            "/projects": {"get": _get("List projects", "ProjectList")},
            "/projects/{slug}": {
                "get": _get(
                    "Get project", "Project", parameters=[_path_slug("project")], not_found=True
                )
            },
            "/directory": {
                "get": _get(
                    "List company profiles",
                    "DirectoryPage",
                    parameters=DIRECTORY_PARAMETERS,
                    bad_request=True,
                )
            },
            "/directory/{profile_id}": {
                "get": _get(
                    "Get company profile",
                    "CompanyProfile",
                    parameters=[profile_id],
                    not_found=True,
                )
            },
        },
        "components": {"schemas": SCHEMAS},
    }
