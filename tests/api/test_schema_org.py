"""Event pages carry valid schema.org Event JSON-LD and Open Graph tags; sitemap and robots."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.api import schema_org
from tests.api.conftest import Catalogue
from webapp.db import db, utcnow
from webapp.events.models import EventKind, EventStatus
from webapp.events.services import record_change
from webapp.i18n import STOCKHOLM

_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
_META = re.compile(r'<meta property="(og:[a-z_]+)" content="([^"]*)">')


def json_ld(client: FlaskClient, event_id: int, **kwargs: object) -> dict:
    html = client.get(f"/events/{event_id}", **kwargs).get_data(as_text=True)
    blocks = _LD.findall(html)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert schema_org.check(data) == []
    return data


def test_the_checker_finds_what_is_wrong():
    wrong = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "X",
        "startDate": "2027-03-01T09:00:00",  # no offset
        "eventStatus": "https://schema.org/EventHappening",
        "venue": "Lindholmen",
        "location": {"@type": "Place", "name": "Lindholmen"},
        "offers": {"@type": "Offer", "price": "free", "priceCurrency": "kr"},
        "organizer": {"@type": "Organisation", "name": "Y"},
    }
    problems = "\n".join(schema_org.check(wrong))
    for expected in (
        "$.startDate",
        "$.eventStatus",
        "$.venue: not a property of Event",
        "Place needs address",
        "Offer needs url",
        "$.offers.price",
        "$.offers.priceCurrency",
        "unknown @type 'Organisation'",
    ):
        assert expected in problems


def test_an_event_at_a_venue(client: FlaskClient, catalogue: Catalogue):
    event = catalogue.conference
    data = json_ld(client, event.id)
    assert data["@type"] == "Event"
    assert data["name"] == "Cirkulär industri 2027"
    assert data["startDate"] == event.starts_at.astimezone(STOCKHOLM).isoformat()
    assert data["endDate"] == event.ends_at.astimezone(STOCKHOLM).isoformat()
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"] == {
        "@type": "Place",
        "name": "Lindholmen Science Park, Lindholmspiren 3",
        "address": {
            "@type": "PostalAddress",
            "addressCountry": "SE",
            "addressLocality": "Göteborg",
            "addressRegion": "Västra Götalands län",
        },
    }
    assert data["organizer"] == {
        "@type": "Organization",
        "name": "Västkustens Teknikpark",
        "url": "https://teknikpark.example.se",
    }
    offer = data["offers"]
    assert offer["price"] == "0" and offer["priceCurrency"] == "SEK"
    assert offer["url"] == f"http://localhost/events/{event.id}/register"
    assert offer["availability"] == "https://schema.org/InStock"
    assert data["url"] == f"http://localhost/events/{event.id}"
    assert data["description"] == "En dag om cirkulära affärsmodeller."


def test_an_online_event_points_to_its_page_never_the_join_link(
    client: FlaskClient, catalogue: Catalogue
):
    data = json_ld(client, catalogue.webinar.id)
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"] == {
        "@type": "VirtualLocation",
        "url": f"http://localhost/events/{catalogue.webinar.id}",
    }
    assert "secret-join-link" not in json.dumps(data)
    # The organisation has no website: its events on Träffpunkt stand in.
    assert data["organizer"]["url"].startswith("http://localhost/?organisation=")


def test_a_mixed_event_has_both_locations(client: FlaskClient):
    event = factories.event(venue="Science Park", city="Jönköping", online_url="https://x.test/j")
    db.session.commit()
    data = json_ld(client, event.id)
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert [place["@type"] for place in data["location"]] == ["Place", "VirtualLocation"]


def test_cancelled_event(client: FlaskClient, catalogue: Catalogue):
    data = json_ld(client, catalogue.cancelled.id)
    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert data["offers"]["availability"] == "https://schema.org/Discontinued"


def test_a_published_event_that_moved_is_rescheduled(client: FlaskClient, catalogue: Catalogue):
    event = catalogue.conference
    before = event.starts_at
    for session in event.sessions:
        session.starts_at += timedelta(days=7)
        session.ends_at += timedelta(days=7)
    record_change(event, times_changed=True, place_changed=False)
    db.session.commit()
    assert event.previous_starts_at == before
    data = json_ld(client, event.id)
    assert data["eventStatus"] == "https://schema.org/EventRescheduled"
    assert data["previousStartDate"] == before.astimezone(STOCKHOLM).isoformat()
    assert data["startDate"] == (before + timedelta(days=7)).astimezone(STOCKHOLM).isoformat()


def test_a_draft_that_moves_is_not_rescheduled(app: Flask):
    event = factories.event(status=EventStatus.DRAFT)
    event.sessions[0].starts_at -= timedelta(days=1)
    record_change(event, times_changed=True, place_changed=False)
    assert event.previous_starts_at is None


def test_offer_availability(client: FlaskClient):
    now = utcnow()
    for fields, availability in [
        ({"capacity": 3}, "LimitedAvailability"),
        ({"registration_opens_at": now + timedelta(days=2)}, "PreOrder"),
        ({"registration_closes_at": now - timedelta(days=1)}, "OutOfStock"),
    ]:
        event = factories.event(**fields)
        db.session.commit()
        offer = json_ld(client, event.id)["offers"]
        assert offer["availability"] == schema_org.SCHEMA + availability, fields
        if "registration_opens_at" in fields:
            assert offer["validFrom"].endswith(("+01:00", "+02:00"))


def test_full_event_is_sold_out(client: FlaskClient, catalogue: Catalogue):
    assert json_ld(client, catalogue.full.id)["offers"]["availability"].endswith("SoldOut")


def test_markup_in_a_title_cannot_break_out_of_the_script(client: FlaskClient):
    title = '</script><script>alert("x")</script> & <!-- AB'
    event = factories.event(title=title, kind=EventKind.WEBINAR)
    db.session.commit()
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert json_ld(client, event.id)["name"] == title


def test_open_graph_tags(client: FlaskClient, catalogue: Catalogue):
    event = catalogue.conference
    html = client.get(f"/events/{event.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    tags = dict(_META.findall(html))
    assert tags == {
        "og:type": "website",
        "og:site_name": "Träffpunkt",
        "og:title": "Cirkulär industri 2027",
        "og:description": "En dag om cirkulära affärsmodeller.",
        "og:url": f"http://localhost/events/{event.id}",
        "og:locale": "en_GB",
    }
    assert f'<link rel="canonical" href="http://localhost/events/{event.id}">' in html
    swedish = client.get(f"/events/{event.id}", headers={"Accept-Language": "sv"})
    assert dict(_META.findall(swedish.get_data(as_text=True)))["og:locale"] == "sv_SE"


_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_published_events(client: FlaskClient, catalogue: Catalogue, count_queries):
    with count_queries() as statements:
        response = client.get("/sitemap.xml")
    assert len(statements) == 2  # the cache version (webapp.http_cache), the events
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{_SITEMAP}urlset"
    urls = {
        u.find(f"{_SITEMAP}loc").text: u.find(f"{_SITEMAP}lastmod")
        for u in root.iter(f"{_SITEMAP}url")
    }
    published = [
        catalogue.conference,
        catalogue.webinar,
        catalogue.series,
        catalogue.full,
        catalogue.past,
    ]
    assert set(urls) == {"http://localhost/"} | {
        f"http://localhost/events/{e.id}" for e in published
    }
    lastmod = urls[f"http://localhost/events/{catalogue.series.id}"].text
    assert lastmod == catalogue.series.updated_at.date().isoformat()
    again = client.get("/sitemap.xml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_robots_points_to_the_sitemap(client: FlaskClient):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert "Disallow: /bookings/" in lines and "Disallow: /organisers/" in lines
