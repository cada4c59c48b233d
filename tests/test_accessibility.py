"""What every page shares for accessibility (webapp/accessibility.py, base.html, _forms.html),
and the accessibility statement. Markup validity is tests/test_html.py; what needs a browser
(focus, contrast, reflow) is in tests/browser/."""

from __future__ import annotations

import re

from tests import factories as f
from tests.conftest import csrf_from
from webapp.bookings.services import manage_token
from webapp.db import db

EN = {"Accept-Language": "en"}
SV = {"Accept-Language": "sv"}


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_a_form_with_errors_says_so_in_the_title_and_takes_focus(client):
    event = f.event(title="Frukostmöte")
    db.session.commit()
    url = f"/events/{event.id}/register"
    page = client.get(url, headers=EN)
    assert title(page.text) == "Register: Frukostmöte – Träffpunkt"
    assert "data-error-summary" not in page.text

    response = client.post(url, data={"csrf_token": csrf_from(page.text)}, headers=EN)
    assert response.status_code == 422
    assert title(response.text) == "Error: Register: Frukostmöte – Träffpunkt"
    summary = re.search(r'<div class="form-errors"[^>]*>', response.text).group(0)
    for attribute in ('role="region"', 'aria-labelledby="form-errors-title"', 'tabindex="-1"'):
        assert attribute in summary
    assert "autofocus" in summary
    assert '<h2 id="form-errors-title">There is a problem</h2>' in response.text
    # The next page in the same app context does not inherit the error state.
    assert title(client.get(url, headers=EN).text).startswith("Register: ")


def test_an_error_flashed_by_the_last_action_says_so_and_takes_focus(client):
    page = client.get("/organisers/login", headers=SV)
    response = client.post(
        "/organisers/login",
        data={"csrf_token": csrf_from(page.text), "email": "nobody@example.se", "password": "x"},
        headers=SV,
    )
    assert response.status_code == 401
    assert title(response.text).startswith("Fel: ")
    assert re.search(r'<div class="flashes" role="status" tabindex="-1" autofocus', response.text)


def test_required_selects_start_with_an_empty_choice(client):
    event = f.event()
    db.session.commit()
    page = client.get(f"/events/{event.id}/register", headers=EN).text
    country = re.search(r'<select[^>]*id="country"[^>]*>(.*?)</select>', page, re.S)
    assert "required" in country.group(0)
    options = re.findall(r"<option[^>]*>", country.group(1))
    assert options[0] == '<option value="">'  # shown first, and nothing else is selected
    assert not any("selected" in o for o in options)


def test_several_forms_on_a_page_have_no_clashing_ids(client):
    event = f.event()
    booking = f.book(event, 2)
    db.session.commit()
    page = client.get(f"/bookings/{manage_token(booking)}", headers=EN).text
    assert page.count('name="csrf_token"') >= 4
    assert 'id="csrf_token"' not in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_organisers_text_is_marked_swedish_on_english_pages(client):
    event = f.event(title="Studieresa till Hamburg", summary="Vätgas i hamnen.")
    db.session.commit()
    english = client.get(f"/events/{event.id}", headers=EN).text
    assert '<h1><span lang="sv">Studieresa till Hamburg</span></h1>' in english
    assert '<span lang="sv">Vätgas i hamnen.</span>' in english
    assert '<meta name="description" content="Vätgas i hamnen.">' in english
    swedish = client.get(f"/events/{event.id}", headers=SV).text
    assert "<h1>Studieresa till Hamburg</h1>" in swedish
    assert 'lang="sv">Studieresa' not in swedish


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"
    response.close()
    assert 'rel="icon"' in client.get("/", headers=EN).text


def test_accessibility_statement_in_both_languages(client):
    f.organisation("Energikontor Mitt", contact_email="info@energikontor.example.se")
    db.session.commit()
    swedish = client.get("/accessibility", headers=SV).text
    for text in (
        "<h1>Tillgänglighet för Träffpunkt</h1>",
        "lagen (2018:1937) om tillgänglighet till digital offentlig service",
        "Hur tillgänglig är webbplatsen?",
        "delvis förenlig",
        "Innehåll som inte är tillgängligt",
        "Hur vi testat webbplatsen",
        "Nu HTML Checker",
        "Myndigheten för digital förvaltning (DIGG)",
        'href="https://www.digg.se/tdosanmalan"',
        'Energikontor Mitt: <a href="mailto:info@energikontor.example.se">',
    ):
        assert text in swedish, text
    english = client.get("/accessibility", headers=EN).text
    for text in (
        "<h1>Accessibility statement for Träffpunkt</h1>",
        "Enforcement procedure",
        "The Agency for Digital Government (Myndigheten för digital förvaltning, DIGG)",
        "axe-core",
        "320 CSS pixels",
    ):
        assert text in english, text


def test_every_page_links_to_the_accessibility_statement(client):
    for url in ("/", "/organisers/login", "/events/2147483647"):
        assert '<a href="/accessibility">' in client.get(url, headers=EN).text, url
