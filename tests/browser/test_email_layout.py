"""HTML emails on a phone: at 375 px nothing scrolls sideways, not even a long join link or
feedback link, and the page says it is made for the device's width (viewport meta)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories as f
from webapp.accounts import services as accounts
from webapp.accounts.models import Role
from webapp.db import db
from webapp.events.models import EventKind
from webapp.notifications import rendering, services
from webapp.notifications.models import MessageKind, OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOIN = "https://meet.example.com/j/" + "8271635490" * 8 + "?pwd=" + "QmFzZTY0" * 6


def test_emails_fit_a_375_px_screen(app: Any, browser: Any) -> None:
    event = f.event(kind=EventKind.WEBINAR, online_url=JOIN, venue=None, reminder_offsets=[60])
    f.book(event, 1, language="en")
    user = accounts.create_user("org@example.se", "Org", "a long password 1")
    accounts.add_member(event.organisation_id, user, Role.ORGANISER)
    services.queue_follow_up(
        user, event.id, text="Thanks!", feedback_url="https://forms.example.se/" + "f" * 120
    )
    db.session.commit()
    rows = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.participant_id.is_not(None))
    ).all()
    kinds = {row.kind for row in rows}
    assert {MessageKind.CONFIRMED, MessageKind.REMINDER, MessageKind.FOLLOW_UP} <= kinds

    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        for row in rows:
            with rendering.email_context():
                html = rendering.render(row).html
            page.set_content(html)
            assert (
                page.evaluate("document.querySelector('meta[name=viewport]').content")
                == "width=device-width, initial-scale=1"
            )
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{row.kind} is {width} px wide at 375 px"
            if row.kind != MessageKind.FOLLOW_UP:
                assert page.locator(f'a[href="{JOIN}"]').count() == 1
    finally:
        context.close()


def test_unsubscribe_page_on_a_phone(app: Any, new_context: Any) -> None:
    from tests.browser.test_registration_flow import assert_accessible
    from webapp.bookings.models import Participant
    from webapp.notifications import unsubscribe

    booking = f.book(f.event(title="Frukostmöte"), 1, language="sv")
    person_id = booking.participants[0].id
    db.session.commit()
    db.session.remove()  # no read transaction of ours may hold SQLite while the server writes
    page = new_context(locale="sv-SE", viewport={"width": 375, "height": 800}).new_page()
    page.goto(f"/unsubscribe/{unsubscribe.token(person_id)}")
    assert "Frukostmöte" in page.inner_text("main")
    assert_accessible(page, "unsubscribe question")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Avsluta prenumeration").click()
    assert "Klart:" in page.get_by_role("status").inner_text()
    assert_accessible(page, "unsubscribed")
    db.session.expire_all()
    assert db.session.get(Participant, person_id).unsubscribed_at is not None
