"""Public pages without a session, conditional GETs and the server-side page cache
(webapp.http_cache): what a proxy may keep, and that every change is seen at once."""

from __future__ import annotations

import gzip
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from tests import factories as f
from tests.accounts.helpers import login_session, user
from tests.conftest import csrf_from, make_app, need
from webapp.accounts.models import Role
from webapp.bookings import services as bookings
from webapp.db import db
from webapp.events.models import Event

REDIS_URL = "redis://127.0.0.1:6379/0"


pytestmark = pytest.mark.usefixtures("steady_period")


def public_urls(site: dict[str, Any]) -> list[str]:
    event, org, project = site["event"], site["org"], site["project"]
    return [
        "/",
        "/?kind=webinar&lang=en",
        f"/events/{event.id}",
        f"/projects/{project.slug}",
        "/feeds/events.ics",
        f"/feeds/organisations/{org.slug}.ics",
        f"/feeds/projects/{project.slug}.ics",
        "/feeds/kinds/conference.ics",
        f"/events/{event.id}.ics",
        "/api/v1/",
        "/api/v1/events",
        f"/api/v1/events/{event.id}",
        "/api/v1/organisations",
        f"/api/v1/organisations/{org.slug}",
        "/api/v1/projects",
        f"/api/v1/projects/{project.slug}",
        "/api/v1/openapi.json",
        "/embed/events",
        "/sitemap.xml",
        "/robots.txt",
        "/privacy",
        f"/organisations/{org.slug}/privacy",
        "/accessibility",
        "/healthz",
        # Error pages too.
        "/no-such-page",
        "/events/999999",
        "/api/v1/events/999999",
    ]


#: Pages that are cached: ETag, Last-Modified and a public Cache-Control.
CACHED = ("/?", "/events/", "/projects/", "/feeds/", "/api/v1/", "/embed/", "/sitemap")


@contextmanager
def rendered(app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered inside."""
    names: list[str] = []

    def record(_sender: Flask, template: Any, **_extra: Any) -> None:
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def test_public_gets_set_no_cookie_and_do_not_vary_on_it(client: FlaskClient, site):
    for url in public_urls(site):
        response = client.get(url, headers={"Accept-Language": "en"})
        assert response.status_code in (200, 404), url
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
        assert not client.get_cookie("session"), url
        if response.status_code == 200 and (url == "/" or url.startswith(CACHED)):
            assert response.headers["ETag"] and response.headers["Last-Modified"], url
            assert response.cache_control.public, url
            if url.endswith(".ics"):  # calendar clients: five minutes
                assert response.headers["Cache-Control"] == "public, max-age=300", url
            else:  # a proxy keeps it; a browser asks again (a 304) each time
                assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=30"


def test_forms_that_need_csrf_still_have_it(client: FlaskClient, site):
    first = client.get(f"/events/{site['event'].id}/register")
    assert "session=" in first.headers["Set-Cookie"]
    for url in (f"/events/{site['event'].id}/register", "/organisers/login"):
        response = client.get(url)
        assert csrf_from(response.text), url
        # Its token is this visitor's: no shared cache may keep the form.
        assert response.headers["Cache-Control"] in ("private, no-cache", "private, no-store")
        # The first sets the session its token lives in; the second keeps it.
        assert client.get_cookie("session"), url


def test_language_switch_needs_no_session(client: FlaskClient, site):
    response = client.post("/language", data={"lang": "en", "next": "/?kind=webinar"})
    assert response.status_code == 303 and response.headers["Location"] == "/?kind=webinar"
    assert "session=" not in response.headers["Set-Cookie"]
    page = client.get("/")
    assert '<html lang="en">' in page.text and "Set-Cookie" not in page.headers
    # The answer depended on the cookie, which no cache keys on: private, and the browser
    # asks again each time, so a switch back is seen at once too.
    assert page.headers["Cache-Control"] == "private, no-cache"
    # A link can switch too (GET), and the URL can fix the language for one page.
    client.get("/language?lang=sv&next=/")
    assert '<html lang="sv">' in client.get("/").text
    fixed = client.get("/?lang=en")
    assert '<html lang="en">' in fixed.text and fixed.cache_control.public
    # On a page whose URL fixes the language, the switch changes the URL's too.
    switched = client.post("/language", data={"lang": "sv", "next": "/?lang=en&kind=webinar"})
    assert switched.headers["Location"] == "/?lang=sv&kind=webinar"
    assert '<html lang="sv">' in client.get(switched.headers["Location"]).text


def test_language_is_part_of_the_cache_key(client: FlaskClient, site):
    url = f"/events/{site['event'].id}"
    swedish = client.get(url, headers={"Accept-Language": "sv"})
    english = client.get(url, headers={"Accept-Language": "en"})
    assert '<html lang="sv">' in swedish.text and '<html lang="en">' in english.text
    assert swedish.headers["ETag"] != english.headers["ETag"]
    assert "Accept-Language" in english.headers["Vary"]


def test_if_none_match_is_answered_without_rendering(app, client, site, count_queries):
    for url in (f"/events/{site['event'].id}", "/", f"/projects/{site['project'].slug}"):
        etag = client.get(url).headers["ETag"]
        with rendered(app) as templates, count_queries() as statements:
            again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", url
        assert again.headers["ETag"] == etag and again.cache_control.public
        assert templates == [] and len(statements) == 1, (url, statements)


def test_a_weak_etag_from_a_compressing_proxy_is_current_too(client, site):
    for url in (f"/events/{site['event'].id}", "/feeds/events.ics"):
        for encoding in ("gzip", "identity"):
            etag = client.get(url, headers={"Accept-Encoding": encoding}).headers["ETag"]
            again = client.get(
                url, headers={"Accept-Encoding": encoding, "If-None-Match": f"W/{etag}"}
            )
            assert again.status_code == 304, (url, encoding)


def test_a_304_of_a_calendar_or_sitemap_carries_no_page_policy(client, site):
    """A cache adds a 304's headers to the copy it keeps: the calendar's must not gain the
    HTML pages' Content-Security-Policy, whichever answers, the front or Flask."""
    for url in (f"/events/{site['event'].id}.ics", "/feeds/events.ics", "/sitemap.xml"):
        first = client.get(url)
        assert first.status_code == 200 and "Content-Security-Policy" not in first.headers
        etag = {"If-None-Match": first.headers["ETag"]}
        by_front = client.get(url, headers=etag)
        client.set_cookie("lang", "xx")  # another request identity, the same page: Flask
        by_flask = client.get(url, headers=etag)
        client.delete_cookie("lang")
        for again in (by_front, by_flask):
            assert again.status_code == 304, url
            assert "Content-Security-Policy" not in again.headers, url


def test_a_lang_cookie_of_no_language_leaves_the_page_public(client, site):
    client.set_cookie("lang", "xx")
    assert client.get("/").cache_control.public


def test_the_second_visitor_gets_the_cached_page(app, client, site):
    url = f"/events/{site['event'].id}"
    first = client.get(url)
    with rendered(app) as templates:
        second = client.get(url)
    assert templates == [] and second.data == first.data
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_the_embed_keeps_its_framing_policy_when_cached(client, site):
    first = client.get("/embed/events")
    second = client.get("/embed/events")
    assert "frame-ancestors *" in second.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in second.headers and second.data == first.data


def test_a_client_that_takes_gzip_gets_it_under_its_own_etag(client, site):
    for url in (f"/events/{site['event'].id}", "/", f"/feeds/organisations/{site['org'].slug}.ics"):
        plain = client.get(url)
        zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert "Content-Encoding" not in plain.headers, url
        assert zipped.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(zipped.data) == plain.data, url
        assert "Accept-Encoding" in zipped.headers["Vary"], url
        assert zipped.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"', url
        # Either representation's ETag says the client is current.
        for etag in (plain.headers["ETag"], zipped.headers["ETag"]):
            again = client.get(url, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
            assert again.status_code == 304 and again.headers["ETag"] == etag, url
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    # A client that takes no gzip is never told that it has the gzipped copy.
    url = f"/events/{site['event'].id}"
    zipped_etag = client.get(url, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    plain = client.get(url, headers={"If-None-Match": zipped_etag})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["ETag"] == zipped_etag.replace("-gzip", "")


def test_a_short_body_is_not_gzipped(client, site):
    from webapp.http_cache import GZIP_MIN

    # The sitemap of a site with one event is a cached page shorter than GZIP_MIN.
    response = client.get("/sitemap.xml", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["ETag"]
    assert len(response.data) < GZIP_MIN and "Content-Encoding" not in response.headers
    assert not response.headers["ETag"].endswith('-gzip"')


def test_a_cached_copy_keeps_the_views_headers(client, site):
    url = f"/api/v1/events/{site['event'].id}"
    first = client.get(url, headers={"Accept-Language": "en"})
    second = client.get(url, headers={"Accept-Language": "en"})
    assert first.headers["Content-Language"] == second.headers["Content-Language"] == "en"
    assert second.data == first.data


def _change_title(site: dict[str, Any]) -> str:
    site["event"].title = "A new title for the event"
    return "A new title for the event"


def _move_session(site: dict[str, Any]) -> str:
    session = site["event"].sessions[1]
    session.starts_at = session.starts_at.replace(hour=5, minute=17)
    session.ends_at = session.starts_at + timedelta(hours=1)
    from webapp.i18n import format_time

    return format_time(session.starts_at)


def _take_seats(site: dict[str, Any]) -> str:
    f.book(site["event"], 3)
    return "2 seats left"


def _rename_organisation(site: dict[str, Any]) -> str:
    site["org"].name = "Renamed Development Centre"
    return "Renamed Development Centre"


def _cancel_event(site: dict[str, Any]) -> str:
    from webapp.events.models import EventStatus

    site["event"].status = EventStatus.CANCELLED
    site["event"].cancelled_at = f.now()
    return "cancelled"


CHANGES = [_change_title, _move_session, _take_seats, _rename_organisation, _cancel_event]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__.strip("_"))
@pytest.mark.parametrize("page", ["detail", "index", "project"])
def test_every_change_is_seen_by_the_next_request(client, site, change, page):
    event = site["event"]
    url = {"detail": f"/events/{event.id}", "index": "/", "project": "/projects/"}[page]
    if page == "project":
        url += site["project"].slug
    headers = {"Accept-Language": "en"}
    before = client.get(url, headers=headers)
    etag = before.headers["ETag"]
    assert client.get(url, headers=headers).data == before.data  # cached now
    expected = change(site)
    db.session.commit()
    if (change is _move_session and page != "detail") or (change, page) == (_take_seats, "project"):
        # Lists show no session times, a project's page no seats; its version changes all
        # the same.
        expected = ""
    after = client.get(url, headers={**headers, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert expected.lower() in after.text.lower()


@pytest.mark.parametrize("cancel", [False, True], ids=["registration", "cancellation"])
def test_every_page_showing_seats_left_shows_the_new_figure_at_once(client, site, cancel):
    """Though a booking moves no ``updated_at`` (webapp.events.page_versions)."""
    event = site["event"]
    held = f.book(event, 3) if cancel else None
    db.session.commit()
    old, new = ("2 seats left", "5 seats left") if cancel else ("5 seats left", "2 seats left")
    pages = ["/", f"/?organisation={site['org'].slug}", "/embed/events", f"/events/{event.id}"]
    api = ["/api/v1/events", f"/api/v1/events/{event.id}"]
    headers = {"Accept-Language": "en"}
    before = {url: client.get(url, headers=headers) for url in pages + api}
    assert all(old in before[url].text for url in pages)
    if held is not None:
        bookings.cancel(held.id)
    else:
        f.book(event, 3)
    db.session.commit()
    after = {
        url: client.get(url, headers={**headers, "If-None-Match": page.headers["ETag"]})
        for url, page in before.items()
    }
    assert all(page.status_code == 200 for page in after.values())
    for url in pages:
        assert new in after[url].text and old not in after[url].text, url
    seats_left = int(new.split()[0])
    assert after[api[0]].json["data"][0]["seats"]["seats_left"] == seats_left
    assert after[api[1]].json["seats"]["seats_left"] == seats_left


def _rename_project(site: dict[str, Any]) -> str:
    site["project"].name = "Renamed Project"
    return "Renamed Project"


@pytest.mark.parametrize("change", [_rename_organisation, _rename_project, _change_title])
@pytest.mark.parametrize("feed", ["all", "kind", "project", "organisation"])
def test_every_feed_shows_a_renamed_organisation_or_project_at_once(client, site, change, feed):
    url = {
        "all": "/feeds/events.ics",
        "kind": "/feeds/kinds/conference.ics",
        "project": f"/feeds/projects/{site['project'].slug}.ics",
        "organisation": f"/feeds/organisations/{site['org'].slug}.ics",
    }[feed]
    before = client.get(url)
    assert client.get(url).data == before.data  # cached now
    expected = change(site)
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, "a new version"
    if change is _rename_project and feed != "project":
        return  # only the project's own feed names it; the version moves all the same
    assert expected in after.data.decode().replace("\r\n ", "")


def test_a_deleted_session_changes_the_event_page(client, site):
    event = site["event"]
    before = client.get(f"/events/{event.id}")
    db.session.delete(event.sessions[1])
    db.session.commit()
    after = client.get(f"/events/{event.id}", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.data != before.data


def test_a_draft_is_never_cached(client, site):
    from webapp.events.models import EventStatus

    event = site["event"]
    assert client.get(f"/events/{event.id}").status_code == 200
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert client.get(f"/events/{event.id}").status_code == 404


def test_a_feed_is_built_once(client, site, count_queries):
    first = client.get("/feeds/events.ics")
    with count_queries() as statements:
        second = client.get("/feeds/events.ics")
    assert second.data == first.data and len(statements) == 1


def test_an_organiser_gets_the_page_rendered_for_them(app, client, site):
    person = user(site["org"], Role.ORGANISER)
    db.session.commit()
    client.get(f"/events/{site['event'].id}")  # cached for the anonymous
    login_session(client, person)
    page = client.get(f"/events/{site['event'].id}")
    assert "My events" in page.text or "Mina evenemang" in page.text
    assert page.cache_control.private and "ETag" not in page.headers
    # Never public as well, whatever the view sets for the anonymous (the API, the embed,
    # the feeds), nor without a word (the directory).
    urls = ("/api/v1/events", "/embed/events", f"/events/{site['event'].id}", "/directory")
    for url in (*urls, "/feeds/events.ics", f"/events/{site['event'].id}.ics"):
        assert client.get(url).headers["Cache-Control"] == "private, no-cache", url
    # Organiser pages show personal data: no cache keeps them.
    attendees = client.get(f"/organisers/events/{site['event'].id}/attendees")
    assert attendees.status_code == 200
    assert attendees.headers["Cache-Control"] == "private, no-store"


# --- Redis: one cache for every process ---------------------------------------------------


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


def test_redis_cache_is_shared_between_apps(database_url: str):
    need(_redis_up(), f"Redis is not reachable at {REDIS_URL}; start redis-server")
    prefix = f"test-{uuid.uuid4().hex}:"
    config = {"CACHE_REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix}
    one, two = make_app(database_url, **config), make_app(database_url, **config)
    try:
        with one.app_context():
            event_id = f.event(capacity=5).id
            db.session.commit()
        first = one.test_client().get(f"/events/{event_id}")
        with rendered(two) as templates:
            second = two.test_client().get(f"/events/{event_id}")
        assert templates == [] and second.data == first.data  # from the other's cache
        with two.app_context():
            db.session.get(Event, event_id).title = "Changed on host two"
            db.session.commit()
        assert "Changed on host two" in one.test_client().get(f"/events/{event_id}").text
    finally:
        import redis

        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)
        for application in (one, two):
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.mark.postgresql
def test_a_version_read_survives_a_connection_the_server_dropped(pg_url: str):
    """The version reads skip the pool's pre-ping (webapp.db.read_row): a pooled connection
    that died with the server is noticed on use and the read is tried again."""
    import sqlalchemy as sa

    from webapp.db import read_row, reader_engine

    app = make_app(pg_url)
    with app.app_context():
        pid = sa.text("SELECT pg_backend_pid()")
        first = read_row(pid)[0]
        with db.engine.begin() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        assert read_row(pid)[0] != first
        # It reads outside the request's transaction, in autocommit: no BEGIN, no ROLLBACK.
        assert reader_engine() is not db.engine
        with reader_engine().connect() as connection:
            assert connection.connection.dbapi_connection.autocommit
        db.engine.dispose()


@pytest.mark.postgresql
def test_version_reads_hold_a_connection_per_thread_and_per_process(pg_url: str):
    """The fixed reads keep one connection per thread (no pool checkout); a forked worker
    opens its own and leaves the parent's working; disposing the engine closes them."""
    import os
    import threading

    import sqlalchemy as sa

    from webapp.db import read_row

    app = make_app(pg_url)
    pid = sa.text("SELECT pg_backend_pid()")
    with app.app_context():
        mine = read_row(pid)[0]
        assert read_row(pid)[0] == mine  # held, not a new one each time
        seen: list[int] = []

        def other_thread() -> None:
            with app.app_context():
                seen.extend((read_row(pid)[0], read_row(pid)[0]))

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert seen[0] == seen[1] != mine

        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # the child reports its backend and leaves without cleanup
            try:
                with app.app_context():
                    os.write(write_end, str(read_row(pid)[0]).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        os.waitpid(child, 0)
        assert int(os.read(read_end, 32) or 0) not in (0, mine)
        os.close(read_end)
        assert read_row(pid)[0] == mine  # the parent's connection survived the child

        db.engine.dispose()
    engine = sa.create_engine(pg_url)
    alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid IN (:a, :b)")
    for _ in range(100):  # a backend ends a moment after its client closed
        with engine.connect() as connection:
            if not connection.execute(alive, {"a": mine, "b": seen[0]}).scalar():
                break
        time.sleep(0.02)
    else:
        pytest.fail("the held connections are still open after dispose")
    engine.dispose()
