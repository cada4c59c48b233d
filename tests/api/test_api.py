"""The JSON API: what it lists and shows, pagination, errors, caching, CORS, query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.api.conftest import Catalogue
from webapp.api import openapi
from webapp.bookings import services as bookings
from webapp.db import db, utcnow
from webapp.events.models import EventKind
from webapp.i18n import STOCKHOLM, local


def _get(client: FlaskClient, url: str, **kwargs: object) -> dict:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def _titles(body: dict) -> list[str]:
    return [e["title"] for e in body["data"]]


def test_lists_published_events_to_come_in_start_order(client: FlaskClient, catalogue: Catalogue):
    body = _get(client, "/api/v1/events")
    assert _titles(body) == [
        "Energikartläggning på en timme",
        "Studieresa till Bilbao",
        "Cirkulär industri 2027",
        "Workshopserie: digitalisering",
    ]
    assert body["next_cursor"] is None and body["links"]["next"] is None


def test_filters(client: FlaskClient, catalogue: Catalogue):
    partner, project = catalogue.partner.slug, catalogue.project.slug
    for query, titles in [
        ("kind=webinar", ["Energikartläggning på en timme"]),
        (f"organisation={partner}", ["Energikartläggning på en timme"]),
        (f"project={project}", ["Cirkulär industri 2027", "Workshopserie: digitalisering"]),
        ("county=12", ["Workshopserie: digitalisering"]),
        ("organisation=no-such-org", []),
        ("kind=conference&county=14", ["Cirkulär industri 2027"]),
    ]:
        assert _titles(_get(client, f"/api/v1/events?{query}")) == titles, query


def test_dates_narrow_to_local_days(client: FlaskClient, catalogue: Catalogue):
    # The Swedish day: late in the evening, UTC's is the day before.
    past_day = catalogue.past.starts_at.astimezone(STOCKHOLM).date().isoformat()
    body = _get(client, f"/api/v1/events?from={past_day}&to={past_day}")
    assert _titles(body) == ["Förra årets mässa"]
    conference_day = catalogue.conference.starts_at.astimezone(STOCKHOLM).date().isoformat()
    assert _titles(_get(client, f"/api/v1/events?to={conference_day}")) == [
        "Energikartläggning på en timme",
        "Studieresa till Bilbao",
        "Cirkulär industri 2027",
    ]


def test_a_session_at_local_midnight_belongs_to_its_swedish_day(app: Flask, client: FlaskClient):
    # 00:30 in Stockholm on 2027-01-16 is 23:30 UTC on the 15th.
    factories.event(title="Midnatt", starts_at=datetime(2027, 1, 15, 23, 30, tzinfo=UTC))
    db.session.commit()
    assert _titles(_get(client, "/api/v1/events?from=2027-01-16&to=2027-01-16")) == ["Midnatt"]
    assert _titles(_get(client, "/api/v1/events?from=2027-01-15&to=2027-01-15")) == []


def test_cursor_pages_are_stable_when_events_are_added_before_them(app: Flask, client: FlaskClient):
    start = (utcnow() + timedelta(days=5)).replace(microsecond=0)
    # Same start for several events: the id breaks the tie.
    for i in range(7):
        factories.event(title=f"E{i}", starts_at=start + timedelta(hours=i // 2))
    db.session.commit()
    first = _get(client, "/api/v1/events?limit=3")
    assert _titles(first) == ["E0", "E1", "E2"]
    assert first["links"]["next"].endswith(f"cursor={first['next_cursor']}")
    assert "limit=3" in first["links"]["next"]
    # An event added before the cursor's place does not shift the pages after it.
    factories.event(title="Early", starts_at=start - timedelta(hours=1))
    db.session.commit()
    second = _get(client, f"/api/v1/events?limit=3&cursor={first['next_cursor']}")
    assert _titles(second) == ["E3", "E4", "E5"]
    third = _get(client, f"/api/v1/events?limit=3&cursor={second['next_cursor']}")
    assert _titles(third) == ["E6"] and third["next_cursor"] is None


def test_one_event_with_sessions_seats_registration_and_links(
    client: FlaskClient, catalogue: Catalogue
):
    series = _get(client, f"/api/v1/events/{catalogue.series.id}")
    assert series["kind"] == "workshop_series"
    assert [s["starts_at"] for s in series["sessions"]] == [
        s.starts_at.astimezone(STOCKHOLM).isoformat() for s in catalogue.series.sessions
    ]
    assert series["seats"] == {"capacity": 10, "seats_left": 10, "waiting_list": False}
    assert series["registration"]["open"] is True
    assert series["links"] == {
        "self": f"http://localhost/api/v1/events/{catalogue.series.id}",
        "page": f"http://localhost/events/{catalogue.series.id}",
        "registration": f"http://localhost/events/{catalogue.series.id}/register",
        "ics": f"http://localhost/events/{catalogue.series.id}.ics",
    }
    assert series["project"] == {"slug": catalogue.project.slug, "name": catalogue.project.name}
    full = _get(client, f"/api/v1/events/{catalogue.full.id}")
    assert full["seats"] == {"capacity": 2, "seats_left": 0, "waiting_list": True}
    assert full["place"] == {
        "online": False,
        "venue": None,
        "city": "Bilbao",
        "county": None,
        "country": "ES",
    }
    unlimited = _get(client, f"/api/v1/events/{catalogue.webinar.id}")
    assert unlimited["seats"] == {"capacity": None, "seats_left": None, "waiting_list": False}
    assert unlimited["place"]["online"] is True


def test_updated_at_moves_with_seats_taken_or_freed(client: FlaskClient, catalogue: Catalogue):
    """Seats left are in the answer, so a client syncing them sees the event change, though
    a booking is no change to the event's content (its iCal stamps)."""
    series = catalogue.series
    series.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    url = f"/api/v1/events/{series.id}"
    before = _get(client, url)

    def seats_changed_at() -> str:
        db.session.refresh(series)
        return local(series.seats_changed_at).isoformat(timespec="seconds")

    booking = factories.book(series, 3)
    db.session.commit()
    booked = _get(client, url)
    assert booked["seats"]["seats_left"] == 7 and booked["updated_at"] > before["updated_at"]
    assert booked["updated_at"] == seats_changed_at()
    bookings.cancel(booking.id)
    db.session.commit()
    freed = _get(client, url)
    assert freed["seats"]["seats_left"] == 10 and freed["updated_at"] == seats_changed_at()


def test_times_carry_the_stockholm_offset(client: FlaskClient, catalogue: Catalogue):
    body = _get(client, f"/api/v1/events/{catalogue.conference.id}")
    assert body["starts_at"].endswith(("+01:00", "+02:00"))


def test_no_personal_data_and_no_join_link(client: FlaskClient, catalogue: Catalogue):
    texts = [
        client.get(url).get_data(as_text=True)
        for url in (
            "/api/v1/events",
            f"/api/v1/events/{catalogue.full.id}",
            f"/api/v1/events/{catalogue.webinar.id}",
            "/api/v1/organisations",
            "/api/v1/projects",
        )
    ]
    for text in texts:
        assert "secret-join-link" not in text
        assert "@example.se" not in text  # contacts and participants of the bookings
        assert "Deltagare" not in text and "Kontakt" not in text


def test_drafts_do_not_exist_and_cancelled_events_are_shown_as_cancelled(
    client: FlaskClient, catalogue: Catalogue
):
    draft = client.get(f"/api/v1/events/{catalogue.draft.id}")
    assert draft.status_code == 404 and draft.mimetype == "application/problem+json"
    cancelled = _get(client, f"/api/v1/events/{catalogue.cancelled.id}")
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert cancelled["registration"]["open"] is False
    assert "Inställd träff" not in _titles(_get(client, "/api/v1/events"))


def test_organisations_and_projects(client: FlaskClient, catalogue: Catalogue):
    organisations = _get(client, "/api/v1/organisations")["data"]
    assert [o["name"] for o in organisations] == ["Energikontor Mitt", "Västkustens Teknikpark"]
    one = _get(client, f"/api/v1/organisations/{catalogue.organisation.slug}")
    assert one["website"] == "https://teknikpark.example.se"
    assert one["links"]["events"].endswith(f"/api/v1/events?organisation={one['slug']}")
    assert "contact_email" not in one
    project = _get(client, f"/api/v1/projects/{catalogue.project.slug}")
    assert project["funder"] == "Tillväxtverket"
    assert project["organisation"]["slug"] == catalogue.organisation.slug
    assert project["partners"] == [{"slug": catalogue.partner.slug, "name": "Energikontor Mitt"}]
    assert client.get("/api/v1/projects/no-such-project").status_code == 404
    assert client.get("/api/v1/organisations/bad%00slug").status_code == 404


BAD_PARAMETERS = [
    ("kind=webinars", "kind"),
    ("county=99", "county"),
    ("organisation=a%20b", "organisation"),
    ("project=" + "x" * 81, "project"),
    ("from=2026-02-30", "from"),
    ("from=20260214", "from"),
    ("to=2026-W07-1", "to"),
    ("from=2027-01-02&to=2027-01-01", "to"),
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("limit=%EF%BC%95", "limit"),  # a full-width digit five
    ("limit=" + "9" * 5000, "limit"),
    ("cursor=abc", "cursor"),
    ("cursor=" + "A" * 65, "cursor"),
    ("cursor=OTk5OTk5OTk5OTk5OTk5OTk5LjE", "cursor"),  # µs far beyond year 9999
    ("cursor=MTIzLjA", "cursor"),  # id 0
    ("organisation=%00", "organisation"),
]


def test_bad_parameters_are_a_400_problem_naming_them(client: FlaskClient):
    # One app for all cases (an app per case would cost the suite a second each).
    for query, name in BAD_PARAMETERS:
        response = client.get(f"/api/v1/events?{query}")
        assert response.status_code == 400, query
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["status"] == 400 and body["invalid_params"][0]["name"] == name, query
        assert body["detail"].startswith(f"{name}: ")


def test_problems_speak_swedish_when_asked(client: FlaskClient):
    body = client.get("/api/v1/events?limit=0", headers={"Accept-Language": "sv"}).get_json()
    assert body["title"] == "En parameter är ogiltig."
    assert "heltal" in body["detail"]
    english = client.get("/api/v1/events?limit=0", headers={"Accept-Language": "en"}).get_json()
    assert english["title"] == "A parameter is not valid."


def test_extreme_dates_are_answered(client: FlaskClient, catalogue: Catalogue):
    assert _titles(_get(client, "/api/v1/events?from=0001-01-01&to=0001-01-01")) == []
    assert len(_get(client, "/api/v1/events?from=0001-01-01&to=9999-12-31")["data"]) == 5


def test_only_get(client: FlaskClient):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/v1/", "/api/v1/events", "/api/v1/events/1"):
            response = client.open(path, method=method)
            assert response.status_code == 405, (method, path)
            assert response.mimetype == "application/problem+json"
            assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
            assert "Set-Cookie" not in response.headers


def test_unknown_api_paths_are_a_404_problem(client: FlaskClient):
    for path in ("/api/v1/nothing", "/api/v1/events/abc", "/api/v1/events/0"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_cors_is_open_for_get_and_preflight(client: FlaskClient, catalogue: Catalogue):
    response = client.get("/api/v1/events", headers={"Origin": "https://region.example.se"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/events",
        headers={
            "Origin": "https://region.example.se",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "Set-Cookie" not in response.headers


def test_etag_and_304(client: FlaskClient, catalogue: Catalogue):
    first = client.get("/api/v1/events")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/events", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    # A change to what the list shows is a new ETag.
    catalogue.conference.title = "Cirkulär industri 2027 – nytt program"
    db.session.commit()
    changed = client.get("/api/v1/events", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_constant_number_of_statements(
    app: Flask, client: FlaskClient, catalogue: Catalogue, count_queries
):
    def counts() -> list[int]:
        found = []
        for url in (
            "/api/v1/events?limit=100",
            f"/api/v1/events/{catalogue.series.id}",
            "/api/v1/organisations",
            "/api/v1/projects",
        ):
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            found.append(len(statements))
        return found

    small = counts()
    for _ in range(30):
        org = factories.organisation()
        project = factories.project(org, [catalogue.partner, catalogue.organisation])
        factories.event(org, project=project, kind=EventKind.WEBINAR, sessions=3)
    factories.event(catalogue.organisation, sessions=40, title="Long series")
    db.session.commit()
    assert counts() == small
    # One more than the answer needs: the cache version (webapp.http_cache).
    assert small == [2, 3, 2, 3]


def test_every_api_route_is_in_the_document(app: Flask):
    documented = {"/api/v1" + path for path in openapi.document("")["paths"]}
    routed = {
        rule.rule.replace("<event_id>", "{event_id}")
        .replace("<slug>", "{slug}")
        .replace("<profile_id>", "{profile_id}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        and "GET" in rule.methods
        and rule.endpoint != "api.fallback"
    }
    assert routed == documented


def test_the_document_is_valid_openapi_3_1_served_with_its_server_url(client: FlaskClient):
    document = _get(client, "/api/v1/openapi.json")
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://localhost/api/v1"}]
    # Against the OpenAPI 3.1 meta-schema (schemathesis ships it); a broken copy fails.
    schemathesis.openapi.from_dict(document).validate()
    broken = {**document, "paths": {"/events": {"get": {"responses": "none"}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_rate_limited_with_a_problem(database_url: str):
    from tests.conftest import make_app

    limited = make_app(database_url, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    with limited.app_context():
        statuses = [client.get("/api/v1/organisations").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = client.get("/api/v1/organisations")
        assert refused.mimetype == "application/problem+json"
        assert refused.get_json()["status"] == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
        db.session.remove()
        db.engine.dispose()
