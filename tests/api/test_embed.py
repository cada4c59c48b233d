"""The embeddable event list and the snippet the event list offers to paste."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

from tests import factories
from tests.api.conftest import Catalogue
from webapp.db import db
from webapp.events.models import EventKind


def _page(client: FlaskClient, query: str = "", **headers: str) -> str:
    response = client.get(f"/embed/events{query}", headers=headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    return response.get_data(as_text=True)


def _titles(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/events/\d+">([^<]+)</a></h2>', page)


def test_may_be_framed_anywhere_and_sets_no_cookie(client: FlaskClient, catalogue: Catalogue):
    response = client.get("/embed/events")
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers
    assert 'name="csrf_token"' not in response.get_data(as_text=True)
    # Every other page still refuses to be framed.
    assert client.get("/").headers["X-Frame-Options"] == "DENY"


def test_links_open_in_the_top_window_and_lead_to_registration(
    client: FlaskClient, catalogue: Catalogue
):
    page = _page(client)
    assert '<base target="_top">' in page
    assert f'href="/events/{catalogue.conference.id}/register"' in page
    assert f'href="/events/{catalogue.conference.id}"' in page
    assert "embed.js" in page


def test_filters(client: FlaskClient, catalogue: Catalogue):
    assert _titles(_page(client)) == [
        "Energikartläggning på en timme",
        "Studieresa till Bilbao",
        "Cirkulär industri 2027",
        "Workshopserie: digitalisering",
    ]
    by_project = _page(client, f"?project={catalogue.project.slug}")
    assert _titles(by_project) == ["Cirkulär industri 2027", "Workshopserie: digitalisering"]
    assert catalogue.project.name in by_project  # the heading names it
    by_org = _page(client, f"?organisation={catalogue.partner.slug}")
    assert _titles(by_org) == ["Energikartläggning på en timme"]
    assert _titles(_page(client, "?kind=study_trip")) == ["Studieresa till Bilbao"]
    # A kind no longer known (an old snippet) shows everything rather than failing.
    assert len(_titles(_page(client, "?kind=retired_kind"))) == 4
    # Control characters are stripped at the edge: what is left is an empty filter.
    assert len(_titles(_page(client, "?organisation=%00"))) == 4
    assert client.get("/embed/events?organisation=not%20a%20slug").status_code == 404


def test_follows_the_visitors_language_or_the_snippets(client: FlaskClient, catalogue: Catalogue):
    swedish = _page(client, **{"Accept-Language": "sv-SE,sv;q=0.9"})
    assert '<html lang="sv">' in swedish and "Kommande evenemang" in swedish
    english = _page(client, **{"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english and "Upcoming events" in english
    assert '<html lang="en">' in _page(client, "?lang=en", **{"Accept-Language": "sv"})
    assert client.get("/embed/events").headers["Vary"].startswith("Accept-Language")


def test_limit_and_more_link(client: FlaskClient):
    org = factories.organisation()
    for _ in range(4):
        factories.event(org)
    db.session.commit()
    page = _page(client, f"?organisation={org.slug}&limit=3")
    assert len(_titles(page)) == 3
    assert f'href="http://localhost/?organisation={org.slug}"' in page
    assert "More events on Träffpunkt" in _page(
        client, f"?organisation={org.slug}&limit=3", **{"Accept-Language": "en"}
    )
    assert len(_titles(_page(client, "?limit=abc"))) == 4


def test_constant_number_of_statements(client: FlaskClient, count_queries):
    org = factories.organisation()
    url = f"/embed/events?organisation={org.slug}&limit=50"
    factories.event(org)
    db.session.commit()
    with count_queries() as few:
        client.get(url)
    for _ in range(30):
        factories.event(org, kind=EventKind.WEBINAR, sessions=2)
    db.session.commit()
    with count_queries() as many:
        client.get(url)
    assert len(few) == len(many) == 3  # with the cache version (webapp.http_cache)


def test_the_event_list_offers_the_snippet_for_its_filters(
    client: FlaskClient, catalogue: Catalogue
):
    org, project = catalogue.organisation.slug, catalogue.project.slug
    embed = "http://localhost/embed/events"
    for query, src in [
        ("", embed),
        ("?kind=webinar&when=past", f"{embed}?kind=webinar"),
        (f"?organisation={org}", f"{embed}?organisation={org}"),
        (f"?project={project}&county=14", f"{embed}?project={project}&amp;county=14"),
    ]:
        page = client.get(f"/{query}", headers={"Accept-Language": "en"}).get_data(as_text=True)
        match = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page, re.DOTALL)
        assert match, "no snippet on the list page"
        snippet = html.unescape(match.group(1))
        assert f'<iframe src="{src}"' in snippet, query
        assert 'title="Upcoming events on Träffpunkt"' in snippet
        assert "data-traffpunkt-embed" in snippet
        assert '<script src="http://localhost/static/api/embed-host.js" async></script>' in snippet
        assert "Show these events on your website" in page


def test_the_snippet_escapes_what_it_quotes(client: FlaskClient):
    # A slug cannot hold markup, but the snippet is built safely whatever it is given.
    from webapp.api.embed import embed_snippet

    with client.application.test_request_context():
        code = embed_snippet(organisation='x"><script>').code
    assert "<script>" not in code.split("\n")[0]
