"""Calendar feeds over HTTP: public and private feeds, revocation, conditional GET, queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import csrf_from
from webapp.bookings import services as bookings
from webapp.bookings.calendar import (
    booking_feed_url,
    participant_feed_token,
    participant_feed_url,
)
from webapp.bookings.models import Booking
from webapp.db import db
from webapp.events import ical
from webapp.events.models import Event, EventKind, EventStatus
from webapp.events.services import cancel_event, record_change

BASE = "http://localhost"


def path(url: str) -> str:
    assert url.startswith(BASE)
    return url[len(BASE) :]


def uids(data: bytes) -> set[str]:
    return {str(e["UID"]) for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}


def uid_set(event: Event) -> set[str]:
    return {f"session-{s.id}@localhost" for s in event.sessions}


def get_feed(client: FlaskClient, url: str, **headers: str) -> Any:
    response = client.get(url, headers=headers)
    if response.status_code == 200:
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert response.headers["ETag"] and response.headers["Last-Modified"]
    return response


# --- public feeds ------------------------------------------------------------------------


def test_all_events_feed(app: Flask, client: FlaskClient) -> None:
    published = factories.event(sessions=2)
    draft = factories.event(status=EventStatus.DRAFT)
    long_past = factories.event(starts_at=factories.now() - timedelta(days=45))
    recent = factories.event(starts_at=factories.now() - timedelta(days=20))
    cancelled = factories.event()
    db.session.commit()
    cancel_event(cancelled.id)
    db.session.commit()

    response = get_feed(client, "/feeds/events.ics")
    assert response.status_code == 200
    data = response.data
    assert uids(data) == uid_set(published) | uid_set(recent) | uid_set(cancelled)
    assert not uids(data) & (uid_set(draft) | uid_set(long_past))
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["METHOD"] == "PUBLISH"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in data
    assert b"\r\nX-WR-CALNAME:" in data and b"\r\nNAME:" in data
    statuses = {str(e["UID"]): str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert {statuses[u] for u in uid_set(cancelled)} == {"CANCELLED"}
    assert {statuses[u] for u in uid_set(published)} == {"CONFIRMED"}
    # Same data, same bytes.
    assert client.get("/feeds/events.ics").data == data


def test_a_series_counts_its_sessions_that_left_the_feed(app: Flask, client: FlaskClient) -> None:
    series = factories.event(
        sessions=3,
        kind=EventKind.WORKSHOP_SERIES,
        title="Serie",
        starts_at=factories.now() - timedelta(days=40),
        session_gap=timedelta(days=30),
    )
    db.session.commit()
    _gone, *shown = series.sessions
    found = {
        str(e["UID"]): str(e["SUMMARY"])
        for e in icalendar.Calendar.from_ical(client.get("/feeds/events.ics").data).walk("VEVENT")
    }
    assert found == {
        f"session-{shown[0].id}@localhost": "Serie (2/3)",
        f"session-{shown[1].id}@localhost": "Serie (3/3)",
    }


def test_feed_language(app: Flask, client: FlaskClient) -> None:
    event = factories.event()
    db.session.commit()
    cancel_event(event.id)
    db.session.commit()
    swedish = client.get("/feeds/events.ics", headers={"Accept-Language": "en"}).data
    english = client.get("/feeds/events.ics?lang=en").data
    assert "X-WR-CALNAME:Träffpunkt: alla evenemang".encode() in swedish
    assert "SUMMARY:Inställt: ".encode() in swedish
    assert "X-WR-CALNAME:Träffpunkt: all events".encode() in english
    assert b"SUMMARY:Cancelled: " in english


def test_cancelled_events_leave_after_30_days(app: Flask, client: FlaskClient) -> None:
    old = factories.event()
    db.session.commit()
    cancel_event(old.id, now=factories.now() - timedelta(days=31))
    db.session.commit()
    assert not uids(client.get("/feeds/events.ics").data) & uid_set(old)


def test_filtered_feeds(app: Flask, client: FlaskClient) -> None:
    org, other_org = factories.organisation(), factories.organisation()
    project = factories.project(org)
    webinar = factories.event(org, kind=EventKind.WEBINAR, project=project, county="01")
    trip = factories.event(other_org, kind=EventKind.STUDY_TRIP, county="14")
    db.session.commit()

    def feed(url: str) -> set[str]:
        response = get_feed(client, url)
        assert response.status_code == 200, url
        return uids(response.data)

    assert feed(f"/feeds/organisations/{org.slug}.ics") == uid_set(webinar)
    assert feed(f"/feeds/projects/{project.slug}.ics") == uid_set(webinar)
    assert feed("/feeds/kinds/study_trip.ics") == uid_set(trip)
    assert feed("/feeds/events.ics?county=14") == uid_set(trip)
    assert feed(f"/feeds/events.ics?kind=webinar&organisation={org.slug}") == uid_set(webinar)
    assert org.name.encode() in client.get(f"/feeds/organisations/{org.slug}.ics").data
    for missing in (
        "/feeds/organisations/nobody.ics",
        "/feeds/projects/nothing.ics",
        "/feeds/kinds/party.ics",
    ):
        assert client.get(missing).status_code == 404


def test_public_feeds_never_carry_the_join_url(app: Flask, client: FlaskClient) -> None:
    event = factories.event(kind=EventKind.WEBINAR, online_url="https://meet.example/secret")
    db.session.commit()
    for url in ("/feeds/events.ics", "/feeds/kinds/webinar.ics", f"/events/{event.id}.ics"):
        response = client.get(url)
        assert response.status_code == 200
        assert b"meet.example" not in response.data


def test_single_event_download(app: Flask, client: FlaskClient) -> None:
    event = factories.event(sessions=3)
    draft = factories.event(status=EventStatus.DRAFT)
    db.session.commit()
    response = get_feed(client, f"/events/{event.id}.ics")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert uids(response.data) == uid_set(event)
    assert client.get(f"/events/{draft.id}.ics").status_code == 404
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"{BASE}/events/{event.id}.ics" in page


# --- conditional GET ---------------------------------------------------------------------


def test_304_without_building(
    app: Flask,
    client: FlaskClient,
    count_queries: Callable[[], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.event(sessions=3)
    db.session.commit()
    first = client.get("/feeds/events.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    def must_not_build(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("a 304 must not build the calendar")

    monkeypatch.setattr(ical, "build_calendar", must_not_build)
    with count_queries() as statements:
        by_etag = client.get("/feeds/events.ics", headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert len(statements) == 1
    assert by_etag.headers["ETag"] == etag
    by_date = client.get("/feeds/events.ics", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304


def test_validators_move_with_changes(app: Flask, client: FlaskClient) -> None:
    event = factories.event(sessions=2)
    db.session.commit()
    etag = client.get("/feeds/events.ics").headers["ETag"]

    event.sessions[0].starts_at += timedelta(hours=2)
    event.sessions[0].ends_at += timedelta(hours=2)
    record_change(event, times_changed=True, place_changed=False)
    db.session.commit()
    changed = client.get("/feeds/events.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    vevent = next(
        e
        for e in icalendar.Calendar.from_ical(changed.data).walk("VEVENT")
        if str(e["UID"]) == f"session-{event.sessions[0].id}@localhost"
    )
    assert vevent["SEQUENCE"] == 1

    # A session-only edit (no new SEQUENCE) is still news to the feed.
    etag = changed.headers["ETag"]
    event.sessions[1].title = "Nytt namn"
    db.session.commit()
    renamed = client.get("/feeds/events.ics", headers={"If-None-Match": etag})
    assert renamed.status_code == 200 and b"Nytt namn" in renamed.data

    # A new event is news too.
    etag = renamed.headers["ETag"]
    factories.event()
    db.session.commit()
    assert client.get("/feeds/events.ics", headers={"If-None-Match": etag}).status_code == 200


def test_event_download_answers_304(app: Flask, client: FlaskClient) -> None:
    event = factories.event()
    db.session.commit()
    etag = client.get(f"/events/{event.id}.ics").headers["ETag"]
    again = client.get(f"/events/{event.id}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304


def _register(_event: Event, _booking: Booking) -> None:
    factories.book(_event, 1)


def _cancel(_event: Event, booking: Booking) -> None:
    bookings.cancel(booking.id)  # and the waiting booking is promoted


def _remove_participant(_event: Event, booking: Booking) -> None:
    bookings.remove_participant(booking.id, booking.participants[0].id)


def _to_waiting_list(_event: Event, booking: Booking) -> None:
    bookings.move_to_waiting_list(booking.id)  # and the waiting booking is promoted


def _stamps(data: bytes) -> dict[str, tuple[object, ...]]:
    return {
        str(e["UID"]): (e["DTSTAMP"].dt, e["LAST-MODIFIED"].dt, e["SEQUENCE"])
        for e in icalendar.Calendar.from_ical(data).walk("VEVENT")
    }


@pytest.mark.parametrize(
    "change",
    [_register, _cancel, _remove_participant, _to_waiting_list],
    ids=lambda c: c.__name__.strip("_"),
)
def test_seats_taken_or_freed_are_no_change_to_a_calendar(
    app: Flask, client: FlaskClient, count_queries: Callable[[], Any], change: Callable
) -> None:
    event = factories.event(capacity=3, sessions=2)
    booking = factories.book(event, 2)
    factories.book(event, 2)  # waits
    db.session.commit()
    urls = [
        "/feeds/events.ics",
        f"/feeds/organisations/{event.organisation.slug}.ics",
        f"/events/{event.id}.ics",
    ]
    before = {url: client.get(url) for url in urls}
    updated, seats = event.updated_at, event.seats_changed_at
    change(event, booking)
    db.session.commit()
    db.session.expire_all()
    assert event.seats_changed_at != seats and event.updated_at == updated
    # The VEVENTs as they would be built now carry the stamps they had.
    fresh = ical.event_calendar(event, include_join_url=False, base_url=BASE, language="sv")
    assert _stamps(fresh).items() <= _stamps(before[urls[0]].data).items()
    assert _stamps(fresh) == _stamps(before[urls[2]].data)
    for url, first in before.items():
        # A poller is current: one version read, no aggregate, no build.
        with count_queries() as statements:
            polled = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert polled.status_code == 304 and len(statements) == 1, (url, statements)
        since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304, url
        again = client.get(url)
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    # An edit after it is news to every calendar again.
    event.title = "Nytt namn"
    db.session.commit()
    for url, first in before.items():
        edited = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert edited.status_code == 200 and b"Nytt namn" in edited.data, url


def test_query_count_does_not_grow_with_sessions(
    app: Flask, client: FlaskClient, count_queries: Callable[[], Any]
) -> None:
    factories.event(sessions=1)
    db.session.commit()
    with count_queries() as few:
        assert client.get("/feeds/events.ics").status_code == 200
    for _ in range(4):
        factories.event(sessions=6)
    db.session.commit()
    with count_queries() as many:
        response = client.get("/feeds/events.ics")
    assert len(uids(response.data)) == 25
    # The site's version, the feed's aggregate, and the sessions with their series.
    assert len(many) == len(few) <= 3, many


# --- private feeds -----------------------------------------------------------------------


@pytest.fixture
def two_bookings(app: Flask) -> tuple[Booking, Booking]:
    webinar = factories.event(
        kind=EventKind.WEBINAR, online_url="https://meet.example/j/1", sessions=2
    )
    conference = factories.event()
    mine = factories.book(webinar, 2, company=1)
    theirs = factories.book(conference, 1, company=2)
    db.session.commit()
    return mine, theirs


def test_participant_feed_holds_only_their_sessions(
    client: FlaskClient, two_bookings: tuple[Booking, Booking]
) -> None:
    mine, theirs = two_bookings
    url = participant_feed_url(mine.participants[0])
    response = get_feed(client, path(url))
    assert response.status_code == 200
    assert uids(response.data) == uid_set(mine.event)
    assert b"https://meet.example/j/1" in response.data
    assert "private" in response.headers["Cache-Control"]
    theirs_response = client.get(path(participant_feed_url(theirs.participants[0])))
    assert uids(theirs_response.data) == uid_set(theirs.event)
    # Short enough for Google's "add by URL", even wrapped as a webcal:// cid parameter.
    assert len(url) < 100


def test_token_for_one_participant_never_opens_another(
    client: FlaskClient, two_bookings: tuple[Booking, Booking]
) -> None:
    mine, theirs = two_bookings
    token = participant_feed_token(mine.participants[0])
    mac = token.partition("-")[2]
    for forged in (
        f"{theirs.participants[0].id}-{mac}",
        f"{mine.participants[1].id}-{mac}",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "not-a-token",
        "99999-" + mac,
    ):
        assert client.get(f"/feeds/p/{forged}.ics").status_code == 404, forged
    # The booking contact's feed token is no participant token, and the reverse.
    contact_token = path(booking_feed_url(mine)).rsplit("/", 1)[1]
    assert client.get(f"/feeds/p/{contact_token}").status_code == 404
    assert client.get(f"/feeds/b/{token}.ics").status_code == 404


def test_booking_contact_feed(client: FlaskClient, two_bookings: tuple[Booking, Booking]) -> None:
    mine, _theirs = two_bookings
    response = get_feed(client, path(booking_feed_url(mine)))
    assert response.status_code == 200
    assert uids(response.data) == uid_set(mine.event)
    assert b"https://meet.example/j/1" in response.data


def test_cancelled_booking_drops_out(
    client: FlaskClient, two_bookings: tuple[Booking, Booking]
) -> None:
    mine, _theirs = two_bookings
    participant_url = path(participant_feed_url(mine.participants[0]))
    contact_url = path(booking_feed_url(mine))
    etag = client.get(participant_url).headers["ETag"]
    bookings.cancel(mine.id)
    db.session.commit()
    response = client.get(participant_url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert uids(response.data) == set()
    assert uids(client.get(contact_url).data) == set()


def test_removed_participant_drops_out(
    client: FlaskClient, two_bookings: tuple[Booking, Booking]
) -> None:
    mine, _theirs = two_bookings
    removed, kept = mine.participants
    bookings.remove_participant(mine.id, removed.id)
    db.session.commit()
    assert uids(client.get(path(participant_feed_url(removed))).data) == set()
    assert uids(client.get(path(participant_feed_url(kept))).data) == uid_set(mine.event)


def test_waitlisted_booking_has_no_sessions_yet(app: Flask, client: FlaskClient) -> None:
    event = factories.event(capacity=1)
    factories.book(event, 1, company=1)
    waiting = factories.book(event, 1, company=2)
    db.session.commit()
    assert waiting.status == "waitlisted"
    assert uids(client.get(path(participant_feed_url(waiting.participants[0]))).data) == set()


def test_private_feed_answers_304(
    client: FlaskClient,
    two_bookings: tuple[Booking, Booking],
    count_queries: Callable[[], Any],
) -> None:
    mine, _theirs = two_bookings
    url = path(participant_feed_url(mine.participants[0]))
    etag = client.get(url).headers["ETag"]
    with count_queries() as statements:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert len(statements) == 1


def test_private_feed_queries_do_not_grow_with_sessions(
    app: Flask, client: FlaskClient, count_queries: Callable[[], Any]
) -> None:
    counted = []
    for sessions in (1, 6):
        booking = factories.book(factories.event(sessions=sessions), 1)
        db.session.commit()
        url = path(participant_feed_url(booking.participants[0]))
        with count_queries() as statements:
            response = client.get(url)
        assert len(uids(response.data)) == sessions
        counted.append(len(statements))
    # The aggregate (with the token's nonce), and the sessions with their series.
    assert counted[0] == counted[1] <= 2, counted


def test_revoking_from_the_manage_page(
    client: FlaskClient, two_bookings: tuple[Booking, Booking]
) -> None:
    mine, theirs = two_bookings
    manage = f"/bookings/{bookings.manage_token(mine)}"
    participant, other = mine.participants
    old_participant = path(participant_feed_url(participant))
    old_other = path(participant_feed_url(other))
    old_contact = path(booking_feed_url(mine))

    page = client.get(manage).get_data(as_text=True)
    assert old_contact in page and old_participant in page
    csrf = csrf_from(page)
    assert client.post(f"{manage}/calendar/revoke").status_code == 400  # no CSRF token
    response = client.post(
        f"{manage}/calendar/revoke", data={"csrf_token": csrf, "participant": participant.id}
    )
    assert response.status_code == 303
    assert client.get(old_participant).status_code == 404
    assert client.get(old_other).status_code == 200
    assert client.get(old_contact).status_code == 200
    db.session.expire_all()
    new_url = path(participant_feed_url(db.session.get(type(participant), participant.id)))
    assert new_url != old_participant and client.get(new_url).status_code == 200
    assert new_url in client.get(manage).get_data(as_text=True)

    client.post(f"{manage}/calendar/revoke", data={"csrf_token": csrf})
    assert client.get(old_contact).status_code == 404
    assert client.get(old_other).status_code == 200

    # A participant of another booking cannot be revoked through this booking's page.
    foreign = client.post(
        f"{manage}/calendar/revoke",
        data={"csrf_token": csrf, "participant": theirs.participants[0].id},
    )
    assert foreign.status_code == 404


# --- subscribe links ---------------------------------------------------------------------


def test_subscribe_links_follow_the_list_filter(app: Flask, client: FlaskClient) -> None:
    org = factories.organisation()
    factories.event(org)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "webcal://localhost/feeds/events.ics" in page
    assert (
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Flocalhost%2Ffeeds%2Fevents.ics"
        in page
    )
    assert 'for="feed-url"' in page and 'id="feed-url"' in page and "readonly" in page

    page = client.get(f"/?organisation={org.slug}").get_data(as_text=True)
    assert f"webcal://localhost/feeds/organisations/{org.slug}.ics" in page
    page = client.get("/?kind=webinar&county=14").get_data(as_text=True)
    assert "webcal://localhost/feeds/events.ics?kind=webinar&amp;county=14" in page
    for link in (
        "/feeds/events.ics?kind=webinar&county=14",
        f"/feeds/organisations/{org.slug}.ics",
    ):
        assert client.get(link).status_code == 200


def test_english_pages_link_english_feeds(app: Flask, client: FlaskClient) -> None:
    event = factories.event()
    db.session.commit()
    client.set_cookie("lang", "en")
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/events/{event.id}.ics?lang=en" in page
    assert f"/feeds/organisations/{event.organisation.slug}.ics?lang=en" in page
    assert "Add to Google Calendar" in page
    client.set_cookie("lang", "sv")
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'/events/{event.id}.ics"' in page and "Lägg till i Google Kalender" in page
