"""The thank-you carries the evaluation link to participants marked present, and only to
them; read off the real SMTP server (tests/smtp.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.feedback.helpers import booking_with_attendance
from tests.smtp import SmtpServer
from webapp.accounts.models import Role
from webapp.db import db
from webapp.feedback import services
from webapp.notifications import dispatch


@pytest.fixture
def app_config(smtp_server: SmtpServer) -> dict[str, Any]:
    return {**smtp_server.config, "OUTBOX_RETRY_SECONDS": 60, "OUTBOX_MAX_ATTEMPTS": 3}


def _send_all() -> None:
    db.session.commit()
    dispatch.dispatch_due()


def test_the_thank_you_carries_the_evaluation_link_only_to_attendees(client, app, smtp_server):
    event = f.event(title="Exportdagen")
    booking = booking_with_attendance(event, 3, present=2, language="en")
    came, also_came, stayed_away = booking.participants
    _send_all()
    smtp_server.received.clear()
    organiser = h.user(event.organisation, Role.ORGANISER)
    h.login_session(client, organiser)
    page = client.get(f"/organisers/events/{event.id}/outbox")
    assert 'name="evaluation"' in page.text and "checked" in page.text
    queued = client.post(
        f"/organisers/events/{event.id}/follow-up",
        data={"csrf_token": csrf_from(page.text), "text": "Tack för i dag!", "evaluation": "y"},
    )
    assert queued.status_code == 303
    _send_all()
    # Attendance was taken: the thank-you goes to those marked present.
    assert not smtp_server.to(stayed_away.email)
    assert not smtp_server.to(booking.contact_email)
    for person in (came, also_came):
        (got,) = smtp_server.to(person.email)
        link = f"http://localhost/feedback/{services.token(person.id)}"
        assert link in got.part("text/plain")
        assert link in got.part("text/html")
        assert "What did you think? Four short questions" in got.part("text/plain")
    # The link opens the form, and it works without an account.
    client.post("/organisers/logout", data={"csrf_token": csrf_from(page.text)})
    form = client.get(f"/feedback/{services.token(came.id)}")
    assert 'name="overall"' in form.text


def test_no_link_when_the_organiser_leaves_it_out_or_nobody_was_marked(app, smtp_server):
    from webapp.notifications import services as notifications

    event = f.event()
    booking_with_attendance(event, 1, language="sv")
    unmarked_event = f.event(event.organisation)
    unmarked = f.book(unmarked_event, 1, language="sv").participants[0]
    _send_all()
    smtp_server.received.clear()
    organiser = h.user(event.organisation, Role.ORGANISER)
    assert notifications.queue_follow_up(organiser, event.id, text="Tack!", evaluation=False) == 1
    assert (
        notifications.queue_follow_up(organiser, unmarked_event.id, text="Tack!", evaluation=True)
        == 1
    )
    _send_all()
    texts = [got.part("text/plain") for got in smtp_server.received]
    assert len(texts) == 2
    assert all("/feedback/" not in text for text in texts)
    assert smtp_server.to(unmarked.email), "without attendance taken all are thanked, no link"
