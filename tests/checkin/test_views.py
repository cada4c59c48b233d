"""The check-in page without JavaScript (code form, name search, mark buttons), the link a
QR code carries, badge sheets, and the confirmation email's QR code through real SMTP."""

from __future__ import annotations

import io
import math
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.organisers import bulk
from webapp.accounts.models import Role
from webapp.bookings.models import Attendance
from webapp.checkin import badges, services
from webapp.db import db
from webapp.events.models import EventKind
from webapp.notifications import dispatch


def _page(client, door, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"/organisers/events/{door.event.id}/check-in?{query}")


def _mark(client, door, page, participant, query=""):
    """Press a participant's mark button on ``page`` (the first session)."""
    return client.post(
        f"/organisers/events/{door.event.id}/check-in{query}",
        data={
            "csrf_token": csrf_from(page.text),
            "session": door.event.sessions[0].id,
            "participant": participant.id,
        },
    )


def _attendance() -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance))


def test_a_typed_code_checks_in_and_a_second_time_says_when(client, door):
    h.login_session(client, door.organiser)
    page = _page(client, door)
    assert page.status_code == 200
    session = door.event.sessions[0]
    assert f'name="session" value="{session.id}"' in page.text  # the one running now
    participant = door.booking.participants[0]
    data = {
        "csrf_token": csrf_from(page.text),
        "session": session.id,
        "code": services.code(participant),
    }
    url = f"/organisers/events/{door.event.id}/check-in"
    done = client.post(url, data=data)
    assert done.status_code == 303
    back = client.get(done.headers["Location"])
    assert f"Incheckad: {participant.name}" in back.text
    assert "1 av 2 incheckade" in back.text
    # The code field has the focus again, for the next person; not on arrival.
    assert re.search(
        r'<input[^>]*autofocus[^>]*name="code"|<input[^>]*name="code"[^>]*autofocus', back.text
    )
    assert "autofocus" not in page.text
    again = client.post(url, data=data)
    assert again.status_code == 422
    assert f"{participant.name} är redan incheckad kl." in again.text
    assert _attendance() == 1


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("nonsens", "Det här är ingen incheckningskod"),
        ("other", "Koden gäller ett annat evenemang"),
        ("", "Skanna en QR-kod"),
    ],
)
def test_bad_codes_get_a_message_on_the_field_and_store_nothing(client, door, code, message):
    h.login_session(client, door.organiser)
    token = csrf_from(_page(client, door).text)
    if code == "other":
        code = services.code(door.other_booking.participants[0])
    response = client.post(
        f"/organisers/events/{door.event.id}/check-in",
        data={"csrf_token": token, "session": door.event.sessions[0].id, "code": code},
    )
    assert response.status_code == 422
    assert message in response.text and 'id="code-error"' in response.text
    assert _attendance() == 0
    # Emptied and focused, so that the next scan is not typed onto the refused code.
    field = re.search(r'<input[^>]*name="code"[^>]*>', response.text).group(0)
    assert "autofocus" in field and ('value=""' in field or "value=" not in field)


def test_a_session_of_another_event_is_refused(client, door):
    h.login_session(client, door.organiser)
    token = csrf_from(_page(client, door).text)
    response = client.post(
        f"/organisers/events/{door.event.id}/check-in",
        data={
            "csrf_token": token,
            "session": door.other_event.sessions[0].id,
            "code": services.code(door.booking.participants[0]),
        },
    )
    assert response.status_code == 422
    assert "Välj ett tillfälle" in response.text
    assert _attendance() == 0


def test_name_search_lists_people_with_a_mark_button_that_checks_in(client, door):
    h.login_session(client, door.organiser)
    participant = door.booking.participants[1]
    page = _page(client, door, q=participant.name.split()[-1])
    assert participant.name in page.text
    assert f'name="participant" value="{participant.id}"' in page.text
    done = _mark(client, door, page, participant, "?q=x")
    assert done.status_code == 303 and "q=x" in done.headers["Location"]
    assert services.checked_in(door.event.sessions[0]).keys() == {participant.id}
    again = _page(client, door, q=participant.name.split()[-1])
    assert "Incheckad kl." in again.text
    assert f'name="participant" value="{participant.id}"' not in again.text
    assert "Ingen med bekräftad plats" in _page(client, door, q="zzz").text
    # A mark for someone without a place says why, on the page.
    stranger = door.other_booking.participants[0]
    refused = _mark(client, door, page, stranger)
    assert refused.status_code == 422 and 'class="flash flash-error" role="alert"' in refused.text


def test_the_qr_link_opens_the_page_with_the_code_filled_in(client, door):
    h.login_session(client, door.organiser)
    code = services.code(door.booking.participants[0])
    response = client.get(f"/organisers/check-in/{code}")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert f'value="{code}"' in page.text
    assert _attendance() == 0  # following the link marks nothing by itself
    assert client.get("/organisers/check-in/1-AAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    for person in (door.stranger, door.viewer):
        h.login_session(client, person)
        assert client.get(f"/organisers/check-in/{code}").status_code == 403


def test_events_without_check_in_have_no_page(client, door):
    door.event.kind = EventKind.WEBINAR
    db.session.commit()
    h.login_session(client, door.organiser)
    assert _page(client, door).status_code == 404


def test_the_page_keeps_its_query_count_as_the_event_grows(app, client, count_queries):
    org = f.organisation()
    user = h.user(org, Role.ORGANISER)
    counted = {}
    for n in (5, 300):
        event = f.event(org, capacity=None)
        bulk.bookings(event, n, offset=40_000 + n * 10)
        db.session.commit()
        h.login_session(client, user)
        db.session.expire_all()
        with count_queries() as statements:
            response = client.get(f"/organisers/events/{event.id}/check-in?q=Bulk")
        assert response.status_code == 200
        assert response.text.count('name="participant"') == min(n, services.SEARCH_LIMIT)
        counted[n] = len(statements)
    assert counted[5] == counted[300], counted


def _pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("layout", list(badges.LAYOUTS))
def test_badge_sheets_hold_one_badge_per_confirmed_participant(client, door, layout):
    event = f.event(door.event.organisation, title="Cleantech-dagen i Karlskrona", capacity=None)
    first = f.book(event, 2)
    extra = f.book(event, 3)
    extra.participants[0].name = "Åsa Öberg-Lindqvist af Ekenstierna-Wachtmeister"
    gone = extra.participants[2]
    gone.cancelled_at = f.now()
    f.book(f.event(door.event.organisation), 1)  # another event's participant
    bulk.bookings(event, 12, offset=50_000)
    db.session.commit()
    h.login_session(client, door.organiser)
    response = client.get(f"/organisers/events/{event.id}/badges.pdf?layout={layout}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pdf_pages(response.data)
    expected = 2 + 2 + 12
    assert len(pages) == math.ceil(expected / badges.LAYOUTS[layout].per_sheet)
    text = "\n".join(pages)
    for participant in [*first.participants, extra.participants[1]]:
        assert text.count(participant.name) == 1, participant.name
    assert "Åsa Öberg" in text  # the long name is shortened, not dropped
    assert gone.name not in text
    assert text.count("Cleantech-dagen i Karlskrona") == expected
    assert text.count(first.company.name) == 2
    assert text.count("Bulkföretag") == 12


def test_badges_refuse_an_unknown_size(client, door):
    h.login_session(client, door.organiser)
    url = f"/organisers/events/{door.event.id}/badges.pdf?layout=huge"
    assert client.get(url).status_code == 400


def test_the_confirmation_carries_the_qr_code_inline_through_smtp(app, door, smtp_server):
    dispatch.dispatch_due()
    participant = door.booking.participants[1]
    [received] = [
        r for r in smtp_server.to(participant.email) if "Bekräftad" in str(r.message["Subject"])
    ]
    [image] = [p for p in received.message.walk() if p.get_content_type() == "image/png"]
    assert image.get_content_disposition() == "inline"
    cid = image["Content-ID"].strip("<>")
    png = image.get_payload(decode=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert received.message.get_content_type() == "multipart/mixed"
    related = [p for p in received.message.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    html = received.part("text/html")
    assert f'src="cid:{cid}"' in html
    code = services.code(participant)
    assert code in html and code in received.part("text/plain")
    assert "check-in.png" in received.part("text/plain")
    # The calendar file is still attached; the other participant's code is not in it.
    assert received.calendar()
    assert services.code(door.booking.participants[0]) not in html
    # The booking's contact takes no part, so their confirmation has no code.
    [contact] = [
        r
        for r in smtp_server.to(door.booking.contact_email)
        if "Bekräftad" in str(r.message["Subject"])
    ]
    assert not [p for p in contact.message.walk() if p.get_content_type() == "image/png"]


def test_events_without_check_in_send_no_qr_code(app, smtp_server):
    event = f.event(kind=EventKind.WEBINAR, online_url="https://meet.example.se/x")
    booking = f.book(event, 1)
    db.session.commit()
    dispatch.dispatch_due()
    [received] = smtp_server.to(booking.participants[0].email)
    assert not [p for p in received.message.walk() if p.get_content_type() == "image/png"]


def test_the_outbox_page_shows_the_qr_code_to_organisers(client, door):
    from webapp.notifications.models import MessageKind, OutboxMessage

    participant = door.booking.participants[0]
    message = db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.participant_id == participant.id,
            OutboxMessage.kind == MessageKind.CONFIRMED,
        )
    )
    h.login_session(client, door.organiser)
    page = client.get(f"/organisers/outbox/{message}")
    assert page.status_code == 200
    assert "check-in.png (image/png" in page.text
    assert "data:image/png;base64," in page.text and "cid:checkin-" not in page.text
