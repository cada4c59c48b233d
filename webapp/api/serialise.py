"""Events, organisations and projects as the API's JSON: public facts only.

Nothing here reads a booking, a participant or a user. An event's join link
(``online_url``) is never included: participants get it in their confirmation. The shape
of every dictionary is the matching schema in ``openapi``; a test checks each against it.

Texts an organiser may give in English too (title, summary, description, venue, session
titles) are in the request's language (``Accept-Language``) where the event has them in it,
else in Swedish (``Event.text``); the answers vary on ``Accept-Language``.

Times are ISO 8601 with the Europe/Stockholm offset of that moment
(``2026-03-14T09:00:00+01:00``), so they read as local time and still compare exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, g

from webapp.directory.models import CompanyProfile
from webapp.events.feeds import base_url
from webapp.events.models import Event, EventSession
from webapp.events.services import registration_open
from webapp.i18n import local
from webapp.organisations.models import Organisation, Project


def public_url(endpoint: str, **values: object) -> str:
    """An absolute URL under ``PUBLIC_BASE_URL``, like ``events.feeds.public_url``.

    The URL map is bound once per application context instead of once per link: a page of
    100 events has 400 links, and binding was a quarter of the time spent on it.
    """
    adapter = g.get("_api_url_adapter")
    if adapter is None:
        adapter = g._api_url_adapter = current_app.url_map.bind("")
    return base_url() + adapter.build(endpoint, values)


def timestamp(value: datetime | None) -> str | None:
    return local(value).isoformat(timespec="seconds") if value else None


def _ref(item: Organisation | Project | None) -> dict[str, str] | None:
    return {"slug": item.slug, "name": item.name} if item else None


def _seats(event: Event) -> dict[str, Any]:
    return {
        "capacity": event.capacity,
        "seats_left": event.seats_left,
        # A registration now would wait for a freed seat (see bookings.services).
        "waiting_list": event.capacity is not None and event.seats_left == 0,
    }


def _registration(event: Event, now: datetime) -> dict[str, Any]:
    return {
        "open": registration_open(event, now),
        "opens_at": timestamp(event.registration_opens_at),
        "closes_at": timestamp(event.closes_at()),
        "requires_approval": event.requires_approval,
        "max_per_company": event.max_per_company,
    }


def _place(event: Event) -> dict[str, Any]:
    return {
        "online": event.is_online,
        "venue": None if event.is_online else (event.text("venue") or None),
        "city": event.city,
        "county": event.county,
        "country": event.country,
    }


def _links(event: Event) -> dict[str, str]:
    return {
        "self": public_url("api.event", event_id=event.id),
        "page": public_url("events.detail", event_id=event.id),
        "registration": public_url("bookings.register", event_id=event.id),
        "ics": public_url("feeds.event", event_id=event.id),
    }


def event_summary(event: Event, now: datetime) -> dict[str, Any]:
    """An event as the list shows it."""
    return {
        "id": event.id,
        "title": event.text("title"),
        "summary": event.text("summary"),
        "kind": event.kind.value,
        "status": event.status.value,
        "starts_at": timestamp(event.starts_at),
        "ends_at": timestamp(event.ends_at),
        "organisation": _ref(event.organisation),
        "project": _ref(event.project),
        "place": _place(event),
        "seats": _seats(event),
        "registration": _registration(event, now),
        "links": _links(event),
    }


def _session(session: EventSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.text("title") or None,
        "starts_at": timestamp(session.starts_at),
        "ends_at": timestamp(session.ends_at),
        "venue": session.venue,
        "cancelled": session.cancelled_at is not None,
    }


def event_detail(event: Event, now: datetime) -> dict[str, Any]:
    """One event with its description and sessions."""
    return {
        **event_summary(event, now),
        "description": event.text("description"),
        "cancelled_at": timestamp(event.cancelled_at),
        "previous_starts_at": timestamp(event.previous_starts_at),
        # Seats left are part of the answer: a client that syncs them sees them move here.
        "updated_at": timestamp(max(filter(None, (event.updated_at, event.seats_changed_at)))),
        "sessions": [_session(s) for s in event.sessions],
    }


def _item_links(what: str, slug: str) -> dict[str, str]:
    """Links of an organisation or project: itself, its events (API and page), its feed."""
    return {
        "self": public_url(f"api.{what}", slug=slug),
        "events": public_url("api.events", **{what: slug}),
        "page": public_url("events.index", **{what: slug}),
        "ics": public_url(f"feeds.{what}", slug=slug),
    }


def organisation(item: Organisation) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "name": item.name,
        "county": item.county,
        "website": item.website,
        "links": _item_links("organisation", item.slug),
    }


def project(item: Project) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "name": item.name,
        "funder": item.funder,
        "funder_reference": item.funder_reference,
        "organisation": _ref(item.organisation),
        "partners": [_ref(p) for p in sorted(item.partners, key=lambda p: (p.name, p.id))],
        "links": _item_links("project", item.slug),
    }


def company_profile(profile: CompanyProfile) -> dict[str, Any]:
    """A public directory profile: company data only, never a person's name or address."""
    return {
        "id": profile.id,
        "name": profile.company.name,
        "offers": profile.offers,
        "seeks": profile.seeks,
        "description": {"sv": profile.description, "en": profile.description_en},
        "website": profile.website,
        "languages": list(profile.languages or ()),
        "industry": profile.industry,
        "county": profile.county,
        "country": profile.country,
        "published_at": timestamp(profile.published_at),
        "links": {
            "self": public_url("api.directory_profile", profile_id=profile.id),
            "page": public_url("directory.detail", profile_id=profile.id),
        },
    }
