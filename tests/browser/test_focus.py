"""Focus is visible: the focus ring's contrast against what is behind it is at least 3:1.

Measured in Chromium, in the light and the dark colour scheme, on a link, a primary and a
secondary button, a text field, a select, a checkbox, the read-only calendar address field, and
fields marked invalid (WCAG 1.4.11 and 2.4.7). The ring is the element's outline: its colour
must be opaque, at least 2 px wide, and contrast 3:1 with the first opaque background behind
the element.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_registration_flow import demo, webinar  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("demo")]

_RING = """(el) => {
  const style = getComputedStyle(el);
  let bg = null;
  for (let p = el.parentElement; p; p = p.parentElement) {
    const colour = getComputedStyle(p).backgroundColor;
    if (!/rgba\\(.*, 0\\)$/.test(colour) && colour !== "transparent") { bg = colour; break; }
  }
  return {
    focused: document.activeElement === el,
    visible: el.matches(":focus-visible"),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    colour: style.outlineColor,
    background: bg,
  };
}"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    parts = css[css.index("(") + 1 : css.index(")")].replace("/", ",").split(",")
    r, g, b = (float(p) for p in parts[:3])
    return r, g, b, float(parts[3]) if len(parts) > 3 else 1.0


def _luminance(r: float, g: float, b: float) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(*_rgba(a)[:3]), _luminance(*_rgba(b)[:3])), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def assert_ring(page: Page, selector: str, what: str) -> float:
    """Focus the element as a keyboard user would and check its ring; the contrast."""
    element = page.locator(selector).first
    page.keyboard.press("Shift")  # the last input was the keyboard: :focus-visible applies
    element.focus()
    ring = element.evaluate(_RING)
    assert ring["focused"] and ring["visible"], f"{what}: {ring}"
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, f"{what}: {ring}"
    assert _rgba(ring["colour"])[3] == 1, f"{what}: the ring is see-through: {ring}"
    ratio = contrast(ring["colour"], ring["background"])
    assert ratio >= 3, f"{what}: ring {ring['colour']} on {ring['background']} is {ratio:.2f}:1"
    return ratio


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_ring_contrast(page: Page, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    event_id = webinar().id

    page.goto(f"/events/{event_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
    checks = {
        "link": "main a[href]",
        "button (primary)": "main a[role=button]",
        "button (secondary, in the header)": "header button",
        "read-only address field": "input[readonly]",
    }
    ratios = {what: assert_ring(page, selector, what) for what, selector in checks.items()}

    # The registration form sent back with errors: invalid fields, checkboxes, selects.
    page.goto(f"/events/{event_id}/register")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("region", name="There is a problem")).to_be_visible()
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
    checks = {
        "error summary": "#form-errors",
        "link in the error summary": "#form-errors a",
        "text field": "#industry_code",
        "invalid text field": "#org_number[aria-invalid=true]",
        "invalid select": "#country[aria-invalid=true]",
        "invalid checkbox": "#consent[aria-invalid=true]",
        "checkbox": "#invitations",
        "button (outline)": "button[name=add_participant], input[name=add_participant]",
        "button (submit)": "[name=submit]",
    }
    ratios |= {what: assert_ring(page, selector, what) for what, selector in checks.items()}
    assert len(ratios) == 13
