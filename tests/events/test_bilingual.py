"""Events in two languages: English text where there is one, the Swedish otherwise.

Pages, feeds, the API, the embed and schema.org read an event's texts through
``Event.text``; the organiser's form takes the English and notes what is missing.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp.accounts.models import Role
from webapp.bookings.services import manage_token
from webapp.db import db
from webapp.events.models import Event
from webapp.i18n import AuthoredText

EN = {"Accept-Language": "en"}
SV = {"Accept-Language": "sv"}


def bilingual(org=None, **fields: object) -> Event:
    values = dict(
        title="Cirkulär ekonomi i praktiken",
        title_en="Circular economy in practice",
        summary="En dag om cirkulära affärsmodeller.",
        summary_en="A day on circular business models.",
        description="Första stycket.\n\nAndra stycket.",
        description_en="First paragraph.\n\nSecond paragraph.",
        venue="Kongresshallen",
        venue_en="The Congress Hall",
        city="Kalmar",
    )
    values.update(fields)
    event = f.event(org, **values)
    event.sessions[0].title = "Nuläget"
    event.sessions[0].title_en = "Where we stand"
    db.session.commit()
    return event


def swedish_only() -> Event:
    event = f.event(
        title="Bara på svenska",
        summary="Sammanfattning på svenska.",
        description="Beskrivning på svenska.",
        venue="Rådhuset",
    )
    db.session.commit()
    return event


ENGLISH_TEXTS = (
    "Circular economy in practice",
    "A day on circular business models.",
    "Second paragraph.",
    "The Congress Hall",
    "Where we stand",
)


def test_text_is_english_in_english_and_the_main_text_otherwise(app):
    event = bilingual(summary_en="")
    title = event.text("title", "en")
    assert title == "Circular economy in practice"
    assert isinstance(title, AuthoredText) and title.lang == "en"
    assert event.text("title", "sv") == "Cirkulär ekonomi i praktiken"
    assert event.text("title", "sv").lang == "sv"
    fallback = event.text("summary", "en")
    assert fallback == "En dag om cirkulära affärsmodeller." and fallback.lang == "sv"
    assert event.sessions[0].text("title", "en") == "Where we stand"
    with pytest.raises(KeyError):
        event.text("city", "en")
    assert event.missing_translations() == ["summary"]


def test_english_event_page_shows_the_english_texts(client):
    event = bilingual()
    page = client.get(f"/events/{event.id}", headers=EN).text
    for text in ENGLISH_TEXTS:
        assert text in page
    assert "Cirkulär ekonomi" not in page
    assert "<title>Circular economy in practice" in page
    assert '<span lang="sv">' not in page.split("<main", 1)[1].split("</main>")[0]
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["name"] == "Circular economy in practice"
    assert data["description"] == "A day on circular business models."
    assert data["location"]["name"] == "The Congress Hall"
    assert '<meta property="og:title" content="Circular economy in practice">' in page


def test_swedish_pages_never_show_the_english_text(client):
    event = bilingual()
    pages = [
        client.get(f"/events/{event.id}", headers=SV).text,
        client.get("/", headers=SV).text,
        client.get(f"/projects/{event.project.slug}", headers=SV).text if event.project else "",
        client.get(f"/events/{event.id}/register", headers=SV).text,
    ]
    for page in pages:
        for text in ENGLISH_TEXTS:
            assert text not in page
    assert "Cirkulär ekonomi i praktiken" in pages[0] and "Kongresshallen" in pages[0]


def test_english_page_falls_back_to_swedish_marked_as_swedish(client):
    event = swedish_only()
    page = client.get(f"/events/{event.id}", headers=EN).text
    assert '<h1><span lang="sv">Bara på svenska</span></h1>' in page
    assert '<span lang="sv">Beskrivning på svenska.</span>' in page
    assert '<span lang="sv">Rådhuset</span>' in page
    assert "Some of the text about this event is in Swedish only." in page
    # Not where the English is complete, and never on Swedish pages.
    complete = bilingual()
    # Practical information is not on the public page (it goes to participants).
    complete.practical_info = "Ta med legitimation."
    db.session.commit()
    assert "in Swedish only" not in client.get(f"/events/{complete.id}", headers=EN).text
    assert "bara på svenska." not in client.get(f"/events/{event.id}", headers=SV).text


def test_english_list_registration_and_project_pages(client, app):
    org = f.organisation()
    project = f.project(org)
    event = bilingual(org, project=project)
    other = swedish_only()
    listing = client.get("/", headers=EN).text
    assert "Circular economy in practice" in listing
    assert "A day on circular business models." in listing
    assert "Cirkulär ekonomi i praktiken" not in listing
    assert '<span lang="sv">Bara på svenska</span>' in listing
    assert (
        "Circular economy in practice" in client.get(f"/?organisation={org.slug}", headers=EN).text
    )
    project_page = client.get(f"/projects/{project.slug}", headers=EN).text
    assert "Circular economy in practice" in project_page
    register = client.get(f"/events/{event.id}/register", headers=EN).text
    assert "Register for <span" not in register
    assert "Circular economy in practice" in register
    assert "Bara på svenska" in client.get(f"/events/{other.id}/register", headers=EN).text


def test_manage_page_in_english(client, app):
    event = bilingual()
    booking = f.book(event, 1, language="en")
    db.session.commit()
    url = f"/bookings/{manage_token(booking)}"
    english = client.get(url, headers=EN).text
    assert "Circular economy in practice" in english and "Where we stand" in english
    swedish = client.get(url, headers=SV).text
    assert "Cirkulär ekonomi i praktiken" in swedish and "Circular economy" not in swedish


def test_english_list_page_queries_do_not_grow_with_events(client, app, count_queries):
    bilingual()
    client.get("/", headers=EN)
    bilingual()  # a change: the next page is rendered, not served from the page cache
    with count_queries() as few:
        assert client.get("/", headers=EN).status_code == 200
    for _ in range(5):
        bilingual()
    with count_queries() as many:
        assert client.get("/", headers=EN).status_code == 200
    assert len(many) == len(few)


def _unfolded(data: bytes) -> str:
    return data.replace(b"\r\n ", b"").decode()


def test_english_feed_and_ics_carry_the_english_title_and_fall_back(client):
    event = bilingual()
    other = swedish_only()
    english = _unfolded(client.get("/feeds/events.ics?lang=en").data)
    assert "SUMMARY:Circular economy in practice: Where we stand" in english
    assert "LOCATION:The Congress Hall\\, Kalmar" in english
    assert "A day on circular business models." in english
    assert "SUMMARY:Bara på svenska" in english
    swedish = _unfolded(client.get("/feeds/events.ics", headers=EN).data)
    assert "SUMMARY:Cirkulär ekonomi i praktiken: Nuläget" in swedish
    assert "Circular economy" not in swedish and "Congress Hall" not in swedish
    single = _unfolded(client.get(f"/events/{event.id}.ics?lang=en").data)
    assert "X-WR-CALNAME:Circular economy in practice" in single
    assert "SUMMARY:Circular economy in practice" in single
    fallback = _unfolded(client.get(f"/events/{other.id}.ics?lang=en").data)
    assert "SUMMARY:Bara på svenska" in fallback


def test_english_page_links_to_the_english_feed(client):
    event = bilingual()
    page = client.get(f"/events/{event.id}", headers=EN).text
    assert f"/events/{event.id}.ics?lang=en" in page


def test_api_and_embed_in_the_requests_language(client):
    event = bilingual()
    other = swedish_only()
    detail = client.get(f"/api/v1/events/{event.id}", headers=EN)
    assert "Accept-Language" in detail.headers["Vary"]
    assert detail.headers["Content-Language"] == "en"
    data = detail.json
    assert data["title"] == "Circular economy in practice"
    assert data["summary"] == "A day on circular business models."
    assert data["description"] == "First paragraph.\n\nSecond paragraph."
    assert data["place"]["venue"] == "The Congress Hall"
    assert data["sessions"][0]["title"] == "Where we stand"
    swedish = client.get(f"/api/v1/events/{event.id}", headers=SV).json
    assert swedish["title"] == "Cirkulär ekonomi i praktiken"
    assert swedish["sessions"][0]["title"] == "Nuläget"
    listing = {e["id"]: e for e in client.get("/api/v1/events", headers=EN).json["data"]}
    assert listing[event.id]["title"] == "Circular economy in practice"
    assert listing[other.id]["title"] == "Bara på svenska"
    assert listing[other.id]["place"]["venue"] == "Rådhuset"
    embed = client.get("/embed/events?lang=en").text
    assert "Circular economy in practice" in embed and "Bara på svenska" in embed
    embed_sv = client.get("/embed/events?lang=sv").text
    assert "Cirkulär ekonomi i praktiken" in embed_sv and "Circular economy" not in embed_sv


# --- the organiser's form -------------------------------------------------------------------


@pytest.fixture
def organiser(app, client):
    org = f.organisation("Teknikparken")
    person = h.user(org, Role.ORGANISER)
    db.session.commit()
    h.login_session(client, person)
    return person


def _form(organiser, **overrides: object) -> dict[str, object]:
    data = {
        "organisation": str(organiser.memberships[0].organisation_id),
        "kind": "conference",
        "title": "Konferens om vätgas",
        "title_en": "Conference on hydrogen",
        "summary": "Två dagar.",
        "summary_en": "",
        "description": "Program.",
        "description_en": "",
        "project": "",
        "venue": "Kongresshallen",
        "venue_en": "",
        "city": "Kalmar",
        "county": "08",
        "country": "SE",
        "online_url": "",
        "capacity": "100",
        "max_per_company": "",
        "registration_opens_date": "",
        "registration_opens_time": "",
        "registration_closes_date": "",
        "registration_closes_time": "",
        "reminder_offsets": "1440",
        "sessions-0-id": "",
        "sessions-0-start_date": "2027-05-04",
        "sessions-0-start_time": "09:00",
        "sessions-0-end_time": "17:00",
        "sessions-0-end_date": "",
        "sessions-0-title": "Dag 1",
        "sessions-0-title_en": "",
        "sessions-0-venue": "",
    }
    data.update(overrides)
    return data


def test_organiser_gives_english_texts_and_sees_what_is_missing(client, organiser):
    response = h.post_form(client, "/organisers/events/new", _form(organiser))
    assert response.status_code == 303, response.text
    event = db.session.scalars(select(Event)).one()
    assert event.title_en == "Conference on hydrogen"
    assert event.summary_en is None
    edit = client.get(f"/organisers/events/{event.id}/edit", headers=EN).text
    note = "Missing in English: summary, description, venue, session titles"
    assert note in edit
    assert 'value="Conference on hydrogen"' in edit
    assert note in client.get("/organisers/", headers=EN).text
    assert "Saknas på engelska: sammanfattning" in client.get("/organisers/", headers=SV).text

    response = h.post_form(
        client,
        f"/organisers/events/{event.id}/edit",
        _form(
            organiser,
            summary_en="Two days.",
            description_en="Programme.",
            venue_en="The Congress Hall",
            **{"sessions-0-id": str(event.sessions[0].id), "sessions-0-title_en": "Day 1"},
        ),
    )
    assert response.status_code == 303, response.text
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.summary_en, event.venue_en) == ("Two days.", "The Congress Hall")
    assert event.sessions[0].title_en == "Day 1"
    assert event.sequence == 0, "a translation is no change of place or time"
    assert "Missing in English" not in client.get(f"/organisers/events/{event.id}/edit").text
    assert "Missing in English" not in client.get("/organisers/", headers=EN).text


@pytest.mark.parametrize("language", ["en", "sv"])
def test_too_long_english_title_is_refused_on_its_field(client, organiser, language):
    headers = {"Accept-Language": language}
    page = client.get("/organisers/events/new", headers=headers)
    response = client.post(
        "/organisers/events/new",
        data={**_form(organiser, title_en="x" * 201), "csrf_token": csrf_from(page.text)},
        headers=headers,
    )
    assert response.status_code == 422
    message = {
        "en": "The English title can be at most 200 characters.",
        "sv": "Den engelska rubriken får vara högst 200 tecken.",
    }[language]
    field = re.search(r'<input[^>]*id="title_en"[^>]*>', response.text).group(0)
    assert 'aria-invalid="true"' in field
    assert message in response.text
    assert db.session.scalars(select(Event)).first() is None


def test_too_long_english_title_on_edit_changes_nothing(client, organiser):
    org = organiser.memberships[0].organisation
    event = f.event(org, title="Frukostmöte", title_en="Breakfast meeting")
    db.session.commit()
    response = h.post_form(
        client,
        f"/organisers/events/{event.id}/edit",
        _form(organiser, title="Frukostmöte", title_en="y" * 201),
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Event, event.id).title_en == "Breakfast meeting"


def test_organiser_list_queries_do_not_grow_with_events(client, organiser, count_queries):
    org = organiser.memberships[0].organisation
    f.event(org, sessions=2)
    db.session.commit()
    client.get("/organisers/")
    with count_queries() as few:
        assert client.get("/organisers/").status_code == 200
    for _ in range(4):
        f.event(org, sessions=2)
    db.session.commit()
    client.get("/organisers/")
    with count_queries() as many:
        assert client.get("/organisers/").status_code == 200
    assert len(many) == len(few), "\n\n".join(set(many) ^ set(few)) or "\n\n".join(many)


def test_a_copy_keeps_the_english_texts(client, organiser):
    org = organiser.memberships[0].organisation
    event = f.event(org, title="Frukostmöte", title_en="Breakfast meeting", summary_en="Coffee.")
    event.sessions[0].title_en = "Morning"
    db.session.commit()
    response = h.post_form(
        client,
        f"/organisers/events/{event.id}/duplicate",
        {},
        f"/organisers/events/{event.id}/edit",
    )
    assert response.status_code == 303
    copy = db.session.scalars(select(Event).where(Event.id != event.id)).one()
    assert copy.title_en == "Copy of Breakfast meeting"
    assert copy.summary_en == "Coffee."
    assert copy.sessions[0].title_en == "Morning"
