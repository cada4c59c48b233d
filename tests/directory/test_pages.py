"""The directory through the client: opt-in and withdrawal on the page, the API and the
embed at once; the edit page by its secret link with bad input on its field; the
project's companies; organisers hiding from the company page; constant query counts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.directory.conftest import publish
from webapp.db import db
from webapp.directory import services
from webapp.directory.models import CompanyProfile
from webapp.organisations.audit import AuditEntry

SWEDISH = {"Accept-Language": "sv"}
ENGLISH = {"Accept-Language": "en"}


def _everywhere(client, world, profile) -> dict[str, bool]:
    """Whether the company shows on each public surface."""
    name = world.booking.company.name
    api = client.get("/api/v1/directory").get_json()
    return {
        "page": name in client.get("/directory", headers=SWEDISH).text,
        "profile": client.get(f"/directory/{profile.id}").status_code == 200,
        "project": name in client.get(f"/projects/{world.project.slug}/companies").text,
        "api": any(p["id"] == profile.id for p in api["data"]),
        "api_item": client.get(f"/api/v1/directory/{profile.id}").status_code == 200,
        "embed": name in client.get("/embed/directory").text,
    }


def test_nothing_is_public_before_publishing_and_nothing_after_withdrawing(client, world):
    profile = world.profile
    assert not any(_everywhere(client, world, profile).values())
    token = services.edit_token(profile)
    page = client.get(f"/directory/profile/{token}", headers=SWEDISH)
    assert page.status_code == 200 and "Inte publicerad" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    published = client.post(
        f"/directory/profile/{token}",
        data={
            "csrf_token": csrf_from(page.text),
            "offers": "Solpaneler",
            "seeks": "Partner i Norge",
            "description": "Vi bygger solparker.",
            "website": "https://sol.example.se",
            "languages": ["sv", "no"],
            "industry": "F",
            "country": "SE",
            "county": "17",
            "publish": "1",
        },
        headers=SWEDISH,
    )
    assert published.status_code == 303
    assert all(_everywhere(client, world, profile).values())
    api = client.get(f"/api/v1/directory/{profile.id}").get_json()
    assert api["languages"] == ["sv", "no"] and api["county"] == "17"
    page = client.get(f"/directory/profile/{token}", headers=SWEDISH)
    withdrawn = client.post(
        f"/directory/profile/{token}/withdraw", data={"csrf_token": csrf_from(page.text)}
    )
    assert withdrawn.status_code == 303
    assert not any(_everywhere(client, world, profile).values())


def test_the_api_answers_must_revalidate(client, world):
    publish(world.profile)
    response = client.get("/api/v1/directory")
    assert "no-cache" in response.headers["Cache-Control"]
    again = client.get("/api/v1/directory", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_public_pages_show_no_person(client, world):
    publish(world.profile)
    booking = world.booking
    texts = [
        client.get("/directory", headers=SWEDISH).text,
        client.get(f"/directory/{world.profile.id}", headers=ENGLISH).text,
        client.get("/api/v1/directory").text,
        client.get("/embed/directory").text,
    ]
    for text in texts:
        assert booking.contact_email not in text and booking.contact_name not in text
        assert booking.participants[0].name not in text


def test_an_unknown_or_revoked_link_is_404(client, world):
    token = services.edit_token(world.profile)
    assert client.get("/directory/profile/1-" + "A" * 24).status_code == 404
    assert client.get("/directory/profile/nonsense").status_code == 404
    services.revoke_edit_link(world.profile)
    db.session.commit()
    assert client.get(f"/directory/profile/{token}").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "javascript:alert(1)", "Ange hela adressen"),
        ("website", "http://localhost:22/<script>", "Ange hela adressen"),
        ("website", "https://intranet", "Ange hela adressen"),
        ("offers", "x" * 1001, "Högst 1000 tecken"),
        ("industry", "Z", "Välj en bransch i listan"),
        ("county", "99", "Välj ett län i listan"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_nothing_stored(client, world, field, value, message):
    token = services.edit_token(world.profile)
    page = client.get(f"/directory/profile/{token}", headers=SWEDISH)
    data = {
        "csrf_token": csrf_from(page.text),
        "offers": "Solpaneler",
        "country": "SE",
        "publish": "1",
        field: value,
    }
    response = client.post(f"/directory/profile/{token}", data=data, headers=SWEDISH)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in response.text
    db.session.expire_all()
    stored = db.session.get(CompanyProfile, world.profile.id)
    assert stored.offers == "" and stored.published_at is None


def test_the_english_page_and_descriptions(client, world):
    publish(world.profile)
    english = client.get(f"/directory/{world.profile.id}", headers=ENGLISH).text
    assert "We build solar parks." in english and "What the company offers" in english
    swedish = client.get(f"/directory/{world.profile.id}", headers=SWEDISH).text
    assert "Vi bygger solparker." in swedish and "Vad företaget erbjuder" in swedish


def test_the_page_filters(client, world):
    publish(world.profile)
    name = world.booking.company.name
    assert name in client.get("/directory?q=solpaneler").text
    assert name not in client.get("/directory?q=trähus").text
    assert name in client.get("/directory?industry=F&county=14&country=SE").text
    assert name not in client.get("/directory?industry=C").text
    assert name in client.get(f"/directory?project={world.project.slug}").text
    other = f.project(world.org)
    db.session.commit()
    assert name not in client.get(f"/directory?project={other.slug}").text
    # Unknown values are forgiven on the page, refused by the API.
    assert name in client.get("/directory?industry=ZZ&county=99").text
    bad = client.get("/api/v1/directory?industry=ZZ")
    assert bad.status_code == 400 and bad.get_json()["invalid_params"][0]["name"] == "industry"
    assert client.get(f"/api/v1/directory?project={other.slug}").get_json()["data"] == []
    assert client.get("/api/v1/directory?cursor=xyz").status_code == 400


def test_api_pages_follow_the_cursor(client, world):
    publish(world.profile)
    for number in range(2, 6):
        booking = f.book(world.event, 1, company=number)
        db.session.commit()
        publish(services.profile_of_company(booking.company_id))
    seen, url = [], "/api/v1/directory?limit=2"
    while url:
        body = client.get(url.removeprefix("http://localhost")).get_json()
        seen += [p["id"] for p in body["data"]]
        url = body["links"]["next"]
    assert len(seen) == 5 and seen == sorted(seen)


def test_query_counts_stay_constant(client, world, count_queries):
    publish(world.profile)

    def counts() -> list[int]:
        found = []
        for url in (
            "/directory",
            "/directory?q=sol&industry=F&county=14&country=SE",
            f"/directory?project={world.project.slug}",
            f"/projects/{world.project.slug}/companies",
            "/api/v1/directory?limit=100",
            "/embed/directory?limit=50",
        ):
            with count_queries() as statements:
                assert client.get(url).status_code == 200, url
            found.append(len(statements))
        return found

    small = counts()
    roomy = f.event(world.org, project=world.project, capacity=None)
    for number in range(100, 130):
        booking = f.book(roomy, 1, company=number)
        db.session.commit()
        publish(services.profile_of_company(booking.company_id), languages=["sv", "en", "fi"])
    assert counts() == small


def test_organisers_hide_from_the_company_page(client, world):
    profile = publish(world.profile)
    h.login_session(client, world.organiser)
    company_page = client.get(f"/organisers/companies/{world.booking.company_id}")
    assert "Dölj i företagskatalogen" in company_page.text or "Hide from the directory" in (
        company_page.text
    )
    url = f"/organisers/companies/{world.booking.company_id}/directory/hide"
    form = client.get(url, headers=SWEDISH)
    empty = client.post(
        url, data={"csrf_token": csrf_from(form.text), "reason": " "}, headers=SWEDISH
    )
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    assert services.public_profile(profile.id) is not None
    done = client.post(url, data={"csrf_token": csrf_from(form.text), "reason": "Spam"})
    assert done.status_code == 303
    assert not any(_everywhere(client, world, profile).values())
    db.session.expire_all()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "directory.hidden")
    ).one()
    assert entry.details["reason"] == "Spam" and entry.user_id == world.organiser.id
    # The company sees why on its own page.
    assert "Spam" in client.get(f"/directory/profile/{services.edit_token(profile)}").text
    page = client.get(f"/organisers/companies/{world.booking.company_id}")
    shown = client.post(
        f"/organisers/companies/{world.booking.company_id}/directory/show",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert shown.status_code == 303
    assert all(_everywhere(client, world, profile).values())


def test_another_organisations_organiser_may_not_hide(client, world):
    profile = publish(world.profile)
    token = csrf_from(client.get("/organisers/login").text)
    h.login_session(client, world.other_organiser)
    url = f"/organisers/companies/{world.booking.company_id}/directory/hide"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": token, "reason": "Nej"}).status_code == 403
    assert services.public_profile(profile.id) is not None
    assert not db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "directory.hidden")
    ).all()


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "PUBLIC_POST_LIMIT": "2 per minute"}]
)
def test_public_posts_are_rate_limited(client, world):
    token = services.edit_token(world.profile)
    statuses = [
        client.post(f"/directory/profile/{token}", data={"offers": "x"}).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429


def test_a_website_typed_without_https_gets_it(client, world):
    token = services.edit_token(world.profile)
    page = client.get(f"/directory/profile/{token}", headers=SWEDISH)
    data = {
        "csrf_token": csrf_from(page.text),
        "offers": "Solpaneler",
        "country": "SE",
        "website": "www.norrfors.se",
        "save": "1",
    }
    assert client.post(f"/directory/profile/{token}", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(CompanyProfile, world.profile.id).website == "https://www.norrfors.se"
