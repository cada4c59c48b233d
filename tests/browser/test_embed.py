"""The embeddable event list inside an <iframe> on another origin, in Chromium.

A second server plays a regional website (``http://localhost:<port>``) whose page holds
the snippet exactly as Träffpunkt's event list generates it; Träffpunkt itself runs at
``http://127.0.0.1:<port>``, so the frame is cross-origin (and cross-site: its cookies
would be third-party). The list must be axe clean, size its frame to its content, set no
cookie, follow the browser's language, and open registration in the top window.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Frame, Page, expect

from tests import factories
from tests.browser.conftest import serving
from tests.browser.test_registration_flow import WCAG_21_AA, assert_accessible
from webapp.db import db
from webapp.events.models import EventKind

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def snippet(app: Flask, live_server: str) -> str:
    """Events of one organisation, and the snippet its filter gives on the list page."""
    app.config["PUBLIC_BASE_URL"] = live_server
    org = factories.organisation("Västkustens Teknikpark")
    other = factories.organisation("Någon annan")
    factories.event(
        org, title="Cirkulär industri", city="Göteborg", summary="En dag om cirkularitet."
    )
    factories.event(org, title="Energikartläggning", kind=EventKind.WEBINAR, capacity=None)
    factories.event(org, title="Studieresa till Bilbao", kind=EventKind.STUDY_TRIP, capacity=1)
    factories.event(other, title="Not this one")
    slug = org.slug
    db.session.commit()
    page = app.test_client().get(f"/?organisation={slug}").get_data(as_text=True)
    code = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert code
    return html.unescape(code.group(1))


@pytest.fixture
def host_site(snippet: str) -> Iterator[str]:
    """Another website on another origin, with the snippet pasted into its page."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Region</title>'
        "</head><body><main><h1>Events in our region</h1>"
        f"{snippet}<p id='after'>Below the list.</p></main></body></html>"
    ).encode()

    def site(_environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]

    with serving(site) as port:
        yield f"http://localhost:{port}/"


def _frame(page: Page) -> Frame:
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe[data-traffpunkt-embed]');"
        " return f && f.style.height !== ''; }"
    )
    frame = page.frame(url=re.compile(r"/embed/events"))
    assert frame is not None
    return frame


def assert_frame_accessible(page: Page, frame: Frame, what: str) -> None:
    """axe-core inside the cross-origin frame, in the light and the dark colour scheme."""
    from axe_playwright_python.sync_playwright import Axe

    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        frame.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
        results = Axe().run(
            frame,
            options={
                "runOnly": {"type": "tag", "values": WCAG_21_AA},
                "resultTypes": ["violations"],
            },
        )
        assert results.violations_count == 0, f"{what} ({scheme}):\n{results.generate_report()}"


def _heights(page: Page, frame: Frame) -> tuple[float, float]:
    outer = page.evaluate(
        "document.querySelector('iframe[data-traffpunkt-embed]').getBoundingClientRect().height"
    )
    inner = frame.evaluate("document.documentElement.getBoundingClientRect().height")
    return outer, inner


def test_embedded_list_on_another_origin(new_context: Any, host_site: str, live_server: str):
    context = new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(host_site)
    frame = _frame(page)
    heading = frame.get_by_role("heading", level=1)
    expect(heading).to_have_text("Upcoming events: Västkustens Teknikpark")
    titles = frame.get_by_role("heading", level=2).all_inner_texts()
    assert titles == ["Cirkulär industri", "Energikartläggning", "Studieresa till Bilbao"]
    assert_frame_accessible(page, frame, "embedded list")

    # The frame takes the height of its content: no inner scroll bar, no empty space.
    outer, inner = _heights(page, frame)
    assert outer != 600 and abs(outer - inner) <= 1

    # No cookie from Träffpunkt (or anyone) in the visitor's browser.
    assert context.cookies() == []

    # Registering happens on Träffpunkt, in the top window.
    frame.get_by_role("link", name="Register for Cirkulär industri").click()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/events/\d+/register$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cirkulär industri")


def test_follows_the_language_and_grows_on_a_phone(new_context: Any, host_site: str):
    page = new_context(locale="sv-SE", viewport={"width": 375, "height": 800}).new_page()
    page.goto(host_site)
    frame = _frame(page)
    expect(frame.get_by_role("heading", level=1)).to_have_text(
        "Kommande evenemang: Västkustens Teknikpark"
    )
    assert frame.evaluate("document.documentElement.lang") == "sv"
    assert_frame_accessible(page, frame, "embedded list, Swedish, 375 px")
    narrow, inner = _heights(page, frame)
    assert abs(narrow - inner) <= 1
    # Wider, the list needs less height, and the frame follows it down again.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_function(
        "h => document.querySelector('iframe[data-traffpunkt-embed]')"
        ".getBoundingClientRect().height < h",
        arg=narrow,
    )
    wide, inner = _heights(page, frame)
    assert wide < narrow and abs(wide - inner) <= 1
    # Nothing scrolls sideways inside the frame on a phone either.
    assert frame.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_list_on_its_own_reflows_with_text_spacing(new_context: Any, snippet: str):
    """The page the frame shows, opened by itself: axe and WCAG 1.4.10/1.4.12 at 320 px."""
    src = re.search(r'<iframe src="([^"]+)"', snippet)
    assert src
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(src.group(1))
    assert_accessible(page, "embedded list page")


def test_the_frame_ignores_height_messages_from_elsewhere(new_context: Any, host_site: str):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(host_site)
    _frame(page)
    before = page.evaluate("document.querySelector('iframe').style.height")
    # The host page itself (another origin than Träffpunkt) posts a bogus height.
    page.evaluate("window.postMessage({type: 'traffpunkt:embed-height', height: 5}, '*')")
    page.wait_for_timeout(200)
    assert page.evaluate("document.querySelector('iframe').style.height") == before
