"""The front (webapp.front): a repeated anonymous GET answered before Flask, byte for byte as
Flask answered it, and handed to Flask whenever anything it depends on changed."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, request_started

from tests import factories as f
from tests.accounts.helpers import login_session, user
from tests.conftest import make_app
from tests.test_http_cache import CHANGES, _take_seats
from webapp.accounts.models import Role
from webapp.db import db
from webapp.events.models import EventStatus
from webapp.front import Front

pytestmark = pytest.mark.usefixtures("steady_period")


@contextmanager
def flask_requests(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests that reached Flask inside."""
    paths: list[str] = []

    def record(_sender: Flask, **_extra: Any) -> None:
        from flask import request

        paths.append(request.path)

    request_started.connect(record, app)
    try:
        yield paths
    finally:
        request_started.disconnect(record, app)


@pytest.fixture
def another_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Apps of other settings on the test's database, disposed of at the end."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        made.append(make_app(database_url, **config))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def front(app: Flask) -> Front:
    found = app.wsgi_app
    while not isinstance(found, Front):
        found = found.app  # ProxyFix
    return found


def urls(site: dict[str, Any]) -> list[str]:
    event, org, project = site["event"], site["org"], site["project"]
    return [
        "/",
        "/?kind=webinar",
        f"/events/{event.id}",
        f"/projects/{project.slug}",
        "/embed/events",
        "/sitemap.xml",
        "/feeds/events.ics",
        f"/feeds/organisations/{org.slug}.ics",
        f"/feeds/projects/{project.slug}.ics",
        f"/events/{event.id}.ics",
    ]


def without_date(response: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.items() if k != "Date"]


@pytest.mark.parametrize("encoding", ["gzip, deflate", "identity"])
def test_a_repeated_get_is_answered_as_flask_answered_it(app, client, site, encoding):
    headers = {"Accept-Encoding": encoding, "Accept-Language": "en"}
    for url in urls(site):
        first = client.get(url, headers=headers)
        assert first.status_code == 200, url
        with flask_requests(app) as reached:
            again = client.get(url, headers=headers)
            head = client.head(url, headers=headers)
        assert reached == [], url
        assert again.data == first.data and without_date(again) == without_date(first), url
        assert head.data == b"" and without_date(head) == without_date(first), url


def test_the_front_answers_a_current_client_with_flasks_304(app, client, site, another_app):
    flask_only = another_app(FRONT_CACHE_BYTES=0).test_client()
    body_headers = {"Content-Type", "Content-Length", "Date"}
    for url in urls(site):
        for encoding in ("gzip", "identity"):
            headers = {"Accept-Encoding": encoding}
            whole = client.get(url, headers=headers)
            etag, last_modified = whole.headers["ETag"], whole.headers["Last-Modified"]
            for condition in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
                with flask_requests(app) as reached:
                    mine = client.get(url, headers={**headers, **condition})
                theirs = flask_only.get(url, headers={**headers, **condition})
                assert reached == [] and mine.status_code == theirs.status_code == 304, url
                assert mine.data == b"", url
                if "If-None-Match" in condition:
                    assert mine.headers["ETag"] == etag, url
                # Flask's 304 differs from its 200 in two ways that say nothing new: no
                # Vary on a feed's, no security policy (a cache keeps the 200's). The front
                # repeats the 200's.
                expected = {
                    k: v
                    for k, v in theirs.headers.items()
                    if k not in body_headers and k in whole.headers
                }
                got = {k: v for k, v in mine.headers.items() if k not in body_headers}
                for same_as_200 in ("Vary", "Content-Security-Policy"):
                    if same_as_200 not in theirs.headers and same_as_200 in whole.headers:
                        assert got.pop(same_as_200) == whole.headers[same_as_200], url
                assert got == expected, url


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__.strip("_"))
def test_a_change_is_handed_to_flask_and_seen(app, client, site, change):
    event = site["event"]
    pages = [f"/events/{event.id}", "/", f"/events/{event.id}.ics", "/feeds/events.ics"]
    headers = {"Accept-Language": "en"}
    before = {url: client.get(url, headers=headers).data for url in pages}
    with flask_requests(app) as reached:
        for url in pages:
            assert client.get(url, headers=headers).data == before[url]
    assert reached == []
    expected = change(site)
    db.session.commit()
    with flask_requests(app) as reached:
        after = {url: client.get(url, headers=headers) for url in pages}
    # Each one is worked out again (what a list shows may be the same bytes as before);
    # calendars show no seats, so a booking leaves them to the front.
    assert reached == (pages[:2] if change is _take_seats else pages)
    assert expected.lower() in after[pages[0]].text.lower()


def test_an_event_no_longer_public_is_a_404_at_once(client, site):
    event = site["event"]
    pages = [f"/events/{event.id}", f"/events/{event.id}.ics"]
    for url in pages * 2:
        assert client.get(url).status_code == 200
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert [client.get(url).status_code for url in pages] == [404, 404]


def test_what_the_answer_depends_on_is_part_of_the_identity(client, site):
    url = f"/events/{site['event'].id}"
    swedish = client.get(url, headers={"Accept-Language": "sv"})
    english = client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="sv">' in client.get(url, headers={"Accept-Language": "sv"}).text
    assert '<html lang="en">' in client.get(url, headers={"Accept-Language": "en"}).text
    assert swedish.headers["ETag"] != english.headers["ETag"]
    # The lang cookie: the same language but a private answer.
    public = client.get(url, headers={"Accept-Language": "en"})
    client.set_cookie("lang", "en")
    private = client.get(url)
    assert '<html lang="en">' in private.text
    assert public.cache_control.public and private.cache_control.private
    assert client.get(url).cache_control.private


def test_each_host_has_an_answer_of_its_own(app, client, site):
    """Without PUBLIC_BASE_URL, links in a page are built on the host it was asked at."""
    url = f"/events/{site['event'].id}"
    for host in ("http://localhost", "http://other.example"):
        client.get(url, base_url=host)
    hosts = {identity[1] for identity in front(app).replies if identity[3] == url}
    assert hosts == {"localhost", "other.example"}


def test_a_session_or_an_if_none_match_star_always_reaches_flask(app, client, site):
    url = f"/events/{site['event'].id}"
    client.get(url)
    with flask_requests(app) as reached:
        client.get(url, headers={"If-None-Match": "*"})
    assert reached == [url]
    organiser = user(site["org"], Role.ORGANISER)
    login_session(client, organiser)
    with flask_requests(app) as reached:
        mine = client.get(url)
    assert reached == [url] and mine.cache_control.private


def test_a_rate_limited_page_is_never_kept(another_app):
    limited = another_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    codes = [client.get("/api/v1/events").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_the_memo_stays_within_its_budget(another_app, site):
    small = another_app(FRONT_CACHE_BYTES=40_000)
    client = small.test_client()
    for page in range(1, 30):
        assert client.get(f"/?page={page}&kind=webinar").status_code == 200
    kept = front(small)
    assert 0 < kept.size <= 40_000
    assert kept.size == sum(reply.size for reply in kept.replies.values())
    # The newest are kept, the oldest dropped.
    assert any("page=29" in identity[4] for identity in kept.replies)
    assert not any(identity[4] == "page=1&kind=webinar" for identity in kept.replies)
    assert not isinstance(another_app(FRONT_CACHE_BYTES=0).wsgi_app, Front)


def test_a_failing_check_hands_the_request_to_flask(app, client, site):
    url = f"/events/{site['event'].id}"
    client.get(url)
    (identity,) = [i for i in front(app).replies if i[3] == url]
    reply = front(app).replies[identity]

    def broken() -> str:
        raise RuntimeError("the database went away")

    object.__setattr__(reply.offer, "check", broken)
    with flask_requests(app) as reached:
        response = client.get(url)
    assert reached == [url] and response.status_code == 200


def test_an_answer_from_the_front_is_logged_as_one_json_line(another_app, site, capfd):
    client = another_app(LOG_FORMAT="json").test_client()
    url = f"/events/{site['event'].id}"
    client.get(url)
    capfd.readouterr()
    client.get(url)
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line]
    (line,) = [entry for entry in lines if entry.get("msg") == "request"]
    assert line["route"] == "/events/<int:event_id>" and line["status"] == 200
    assert line["bytes"] > 0 and line["method"] == "GET"
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize("kind", ["page", "feed", "download"])
def test_a_cached_answer_costs_one_version_read(app, client, site, count_queries, kind):
    event, org = site["event"], site["org"]
    url = {
        "page": f"/events/{event.id}",
        "feed": f"/feeds/organisations/{org.slug}.ics",
        "download": f"/events/{event.id}.ics",
    }[kind]
    version = (
        "AS changed, count(*) AS n FROM event_sessions" if kind != "feed" else "FROM organisations)"
    )
    client.get(url)
    for _ in range(2):
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == 1 and version in statements[0], statements
    # A change: the page is made again, and the front's read and the view's are one.
    event.title = "Ändrad titel"
    db.session.commit()
    with count_queries() as statements:
        assert "Ändrad titel" in client.get(url).text
    assert len(statements) > 1 and sum(version in s for s in statements) == 1, statements


def test_a_partner_joining_or_leaving_shows_on_the_project_page_at_once(client, site):
    from tests.accounts import helpers as h
    from webapp.organisations import services

    lead, project = site["org"], site["project"]
    partner = f.organisation(name="Partnerklustret i Norr")
    lead_admin, partner_admin = h.user(lead, Role.ADMIN), h.user(partner, Role.ADMIN)
    db.session.commit()
    url = f"/projects/{project.slug}"
    for _ in range(2):
        assert "Partnerklustret i Norr" not in client.get(url).text
    invitation = services.invite_partner(lead_admin, project.id, partner.slug)
    db.session.commit()
    services.answer_invitation(partner_admin, invitation.id, accept=True)
    db.session.commit()
    assert "Partnerklustret i Norr" in client.get(url).text
    assert "Partnerklustret i Norr" in client.get(url).text
    services.remove_partner(lead_admin, project.id, partner.id)
    db.session.commit()
    assert "Partnerklustret i Norr" not in client.get(url).text
