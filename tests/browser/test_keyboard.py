"""Keyboard only: a registration with mistakes, then each error link to its field.

After sending the form with mistakes, focus is on the error summary (not at the top of the
page), the first Tab reaches its first link, and every link puts the cursor in its field with
the field's label on screen. With JavaScript off the summary still takes focus and a link
still shows its field's label.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_registration_flow import WEBINAR, demo, webinar  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]

ACTIVE_ID = "document.activeElement && document.activeElement.id"
IN_SUMMARY = "!!document.activeElement.closest('#form-errors')"
# Whether the element and the label of the focused field are both inside the viewport.
LABEL_AND_FIELD_VISIBLE = """() => {
  const field = document.activeElement;
  const label = document.querySelector(`label[for="${CSS.escape(field.id)}"]`);
  const inView = (el) => {
    const box = el.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  };
  return { label: !!label && inView(label), field: inView(field) };
}"""


def tab_until(page: Page, condition: str, key: str = "Tab", limit: int = 80) -> int:
    """Press ``key`` until the JavaScript ``condition`` holds; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if page.evaluate(condition):
            return presses
    raise AssertionError(f"{key} × {limit} never reached {condition}")


def type_into(page: Page, field_id: str, text: str) -> None:
    tab_until(page, f"document.activeElement.id === {field_id!r}")
    page.keyboard.type(text)


def send_with_mistakes(page: Page) -> None:
    """Fill part of the form by keyboard, with a wrong organisation number and email address,
    no county or size, and the privacy notice not agreed to; send it with Enter on Register."""
    page.goto(f"/events/{webinar().id}/register")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Register for {WEBINAR}")
    type_into(page, "country", "Swe")  # a closed select chooses by typing
    expect(page.get_by_label("Country")).to_have_value("SE")
    type_into(page, "org_number", "123")
    type_into(page, "company_name", "Bergslagens Gjuteri AB")
    type_into(page, "contact_name", "Karin Åström")
    type_into(page, "contact_email", "karin.astrom@gjuteri.example.se")
    type_into(page, "participants-0-name", "Karin Åström")
    type_into(page, "participants-0-email", "karin.astrom@")
    tab_until(page, "document.activeElement.name === 'submit'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="There is a problem")).to_be_visible()


def test_error_summary_by_keyboard(page: Page) -> None:
    send_with_mistakes(page)
    assert page.title().startswith("Error: Register: ")
    # Focus is on the summary itself, and the first Tab reaches its first link.
    assert page.evaluate(ACTIVE_ID) == "form-errors"
    links = page.locator("#form-errors a")
    targets = [href.removeprefix("#") for href in links.evaluate_all("(as) => as.map(a => a.hash)")]
    for field in ("org_number", "county", "staff_band", "participants-0-email", "consent"):
        assert field in targets

    page.keyboard.press("Tab")
    for n, target in enumerate(targets):
        if n > 0:
            # Back from the previous field: Shift+Tab up into the summary, to the next link.
            tab_until(page, IN_SUMMARY, "Shift+Tab")
            tab_until(page, f"document.activeElement.hash === '#{target}'", "Shift+Tab")
        assert page.evaluate("document.activeElement.hash") == f"#{target}"
        page.keyboard.press("Enter")
        assert page.evaluate(ACTIVE_ID) == target, f"link {n + 1} did not reach #{target}"
        visible = page.evaluate(LABEL_AND_FIELD_VISIBLE)
        assert visible == {"label": True, "field": True}, f"#{target}: {visible}"


def test_error_summary_without_javascript(new_context: Any) -> None:
    page = new_context(java_script_enabled=False, viewport={"width": 375, "height": 700}).new_page()
    send_with_mistakes(page)
    # Autofocus (no script) is applied once the page has loaded: wait for it, then check.
    page.wait_for_load_state("load")
    page.wait_for_function(f"({ACTIVE_ID}) === 'form-errors'", timeout=10_000)
    assert page.evaluate(ACTIVE_ID) == "form-errors"  # autofocus, no script
    page.keyboard.press("Tab")
    target = page.evaluate("document.activeElement.hash").removeprefix("#")
    page.keyboard.press("Enter")
    label = page.locator(f"label[for='{target}']")
    box = label.bounding_box()
    assert box is not None and 0 <= box["y"] <= 700 - box["height"], f"label of #{target}: {box}"
