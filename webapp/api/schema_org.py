"""Search-engine and link-preview markup for event pages: schema.org JSON-LD and Open Graph.

The JSON-LD describes the event as schema.org's ``Event``: dates with their offset, a
``Place`` with a ``PostalAddress`` or a ``VirtualLocation`` (the event page: the join link
is only for participants), the attendance mode, the status (``EventCancelled``, and
``EventRescheduled`` with ``previousStartDate`` once a published event moved), the
organising ``Organization``, and a free ``Offer`` whose URL is the registration form.
``tests/api/schema_org.py`` checks it against the vocabulary.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from markupsafe import Markup

from webapp.api.serialise import timestamp
from webapp.db import utcnow
from webapp.events.feeds import public_url
from webapp.events.models import Event, EventStatus
from webapp.events.services import registration_open
from webapp.i18n import current_language
from webapp.regions import COUNTIES

SCHEMA = "https://schema.org/"
_OG_LOCALES = {"sv": "sv_SE", "en": "en_GB"}
#: Fewer seats left than this is "limited availability".
FEW_SEATS = 5


def _status(event: Event) -> str:
    if event.status == EventStatus.CANCELLED:
        return SCHEMA + "EventCancelled"
    if event.previous_starts_at is not None:
        return SCHEMA + "EventRescheduled"
    return SCHEMA + "EventScheduled"


def _mode(event: Event) -> str:
    if event.is_online:
        return SCHEMA + "OnlineEventAttendanceMode"
    if event.online_url:
        return SCHEMA + "MixedEventAttendanceMode"
    return SCHEMA + "OfflineEventAttendanceMode"


def _places(event: Event, page: str) -> list[dict[str, Any]]:
    places: list[dict[str, Any]] = []
    if not event.is_online:
        address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": event.country}
        if event.city:
            address["addressLocality"] = event.city
        if event.county in COUNTIES:
            address["addressRegion"] = COUNTIES[event.county]
        places.append(
            {
                "@type": "Place",
                "name": event.text("venue") or event.city or event.country,
                "address": address,
            }
        )
    if event.is_online or event.online_url:
        places.append({"@type": "VirtualLocation", "url": page})
    return places


def _availability(event: Event, now: datetime) -> str:
    if event.status != EventStatus.PUBLISHED:
        return SCHEMA + "Discontinued"
    if event.registration_opens_at and now < event.registration_opens_at:
        return SCHEMA + "PreOrder"
    if not registration_open(event, now):
        return SCHEMA + "OutOfStock"
    if event.capacity is not None and event.seats_left == 0:
        return SCHEMA + "SoldOut"  # registrations now go on the waiting list
    if event.seats_left is not None and event.seats_left < FEW_SEATS:
        return SCHEMA + "LimitedAvailability"
    return SCHEMA + "InStock"


def event_data(event: Event, now: datetime | None = None) -> dict[str, Any]:
    """The event as a schema.org ``Event`` (a JSON-LD object)."""
    page = public_url("events.detail", event_id=event.id)
    organisation = event.organisation
    organizer: dict[str, Any] = {
        "@type": "Organization",
        "name": organisation.name,
        "url": organisation.website or public_url("events.index", organisation=organisation.slug),
    }
    offer: dict[str, Any] = {
        "@type": "Offer",
        "price": "0",
        "priceCurrency": "SEK",
        "url": public_url("bookings.register", event_id=event.id),
        "availability": _availability(event, now or utcnow()),
    }
    if event.registration_opens_at:
        offer["validFrom"] = timestamp(event.registration_opens_at)
    if event.closes_at():
        offer["validThrough"] = timestamp(event.closes_at())
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.text("title"),
        "url": page,
        "startDate": timestamp(event.starts_at),
        "endDate": timestamp(event.ends_at),
        "eventStatus": _status(event),
        "eventAttendanceMode": _mode(event),
        "location": _places(event, page),
        "organizer": organizer,
        "isAccessibleForFree": True,
        "offers": offer,
    }
    description = event.text("summary") or event.text("description")
    if description:
        data["description"] = description
    if event.status == EventStatus.PUBLISHED and event.previous_starts_at is not None:
        data["previousStartDate"] = timestamp(event.previous_starts_at)
    if len(data["location"]) == 1:
        data["location"] = data["location"][0]
    return {k: v for k, v in data.items() if v is not None}


def _script_json(data: object) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can be formed."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def event_json_ld(event: Event) -> Markup:
    """The ``<script type="application/ld+json">`` element for an event page."""
    return Markup('<script type="application/ld+json">{}</script>').format(
        Markup(_script_json(event_data(event)))
    )


def open_graph(event: Event) -> dict[str, str]:
    """Open Graph properties (``og:…``) for an event page's link previews."""
    description = event.text("summary") or event.text("description")[:300]
    return {
        "og:type": "website",
        "og:site_name": "Träffpunkt",
        "og:title": event.text("title"),
        "og:description": description,
        "og:url": public_url("events.detail", event_id=event.id),
        "og:locale": _OG_LOCALES.get(current_language(), "sv_SE"),
    }
