"""The registration flow and the manage-my-booking pages through the test client, CSRF on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.conftest import csrf_from
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.companies.models import Company
from webapp.db import db, utcnow
from webapp.events.models import Event, EventKind


def registration_form(token: str, participants: int = 1, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "submission_key": overrides.pop("submission_key", "key-1"),
        "country": "SE",
        "org_number": "5560360793",
        "company_name": "Norrfors Mekaniska AB",
        "county": "23",
        "staff_band": "10_49",
        "turnover_band": "up_to_2m",
        "contact_name": "Anna Lindqvist",
        "contact_email": "anna@norrfors.example.se",
        "consent": "y",
        "submit": "Register",
    }
    for i in range(participants):
        data[f"participants-{i}-name"] = f"Deltagare {i}"
        data[f"participants-{i}-email"] = f"deltagare{i}@norrfors.example.se"
        data[f"participants-{i}-gender"] = "undisclosed"
    data.update(overrides)
    return data


@pytest.fixture
def webinar(app):
    event = f.event(
        kind=EventKind.WEBINAR, capacity=10, online_url="https://meet.example.se/secret-room"
    )
    db.session.commit()
    return event


def open_form(client, event) -> str:
    response = client.get(f"/events/{event.id}/register", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return csrf_from(response.text)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_whole_registration_flow(client, webinar):
    token = open_form(client, webinar)
    response = client.post(
        f"/events/{webinar.id}/register",
        data=registration_form(token, participants=2),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert "Your booking is confirmed." in confirmation.text
    assert "556036-0793" in confirmation.text  # normalised organisation number

    manage_url = re.search(r'href="(http://localhost/bookings/[^"]+)"', confirmation.text).group(1)
    manage = client.get(manage_url, headers={"Accept-Language": "en"})
    assert manage.status_code == 200
    assert "Deltagare 0" in manage.text and "Deltagare 1" in manage.text

    booking = db.session.scalars(select(Booking)).one()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.language == "en"
    assert booking.consent_version and booking.consent_at
    assert not booking.invitations_opt_in
    assert db.session.get(Event, webinar.id).seats_taken == 2

    # Remove one participant, then cancel the whole booking.
    # Each asks first (a page saying what happens), and only the confirmed POST acts.
    participant = booking.participants[1]
    path = manage_url.replace("http://localhost", "")
    remove = f"{path}/participants/{participant.id}/remove"
    asked = client.post(remove, data={"csrf_token": csrf_from(manage.text)})
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.text
    db.session.expire_all()
    assert db.session.get(Event, webinar.id).seats_taken == 2
    response = client.post(remove, data={"csrf_token": csrf_from(asked.text), "confirmed": "yes"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, webinar.id).seats_taken == 1
    asked = client.post(f"{path}/cancel", data={"csrf_token": csrf_from(manage.text)})
    assert asked.status_code == 200
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    response = client.post(
        f"{path}/cancel", data={"csrf_token": csrf_from(asked.text), "confirmed": "yes"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    assert db.session.get(Event, webinar.id).seats_taken == 0


def test_join_url_never_appears_on_public_pages(client, webinar):
    for url in ("/", f"/events/{webinar.id}", f"/events/{webinar.id}/register"):
        assert "secret-room" not in client.get(url).text


def test_adding_a_participant_block_works_without_javascript(client, webinar):
    token = open_form(client, webinar)
    data = registration_form(token, participants=1)
    del data["submit"]
    data["add_participant"] = "Add another participant"
    response = client.post(f"/events/{webinar.id}/register", data=data)
    assert response.status_code == 200
    assert 'name="participants-1-name"' in response.text
    assert count(Booking) == 0


def test_missing_csrf_token_is_refused_and_nothing_stored(client, webinar):
    response = client.post(f"/events/{webinar.id}/register", data=registration_form("bogus"))
    assert response.status_code == 400
    assert count(Booking) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"org_number": "5560360794"}, "That is not a valid organisation number."),
        ({"org_number": "123"}, "The organisation number has the wrong number of digits."),
        ({"org_number": ""}, "s organisation number."),
        ({"contact_email": "not-an-email"}, "Enter a valid email address."),
        ({"participants-0-email": "bad@"}, "Enter a valid email address."),
        ({"consent": ""}, "You must agree to the privacy notice to register."),
        ({"county": ""}, "Choose the county where the company is."),
        ({"staff_band": "huge"}, "Not a valid choice"),
        (
            {"participants-1-email": "deltagare0@norrfors.example.se"},
            "Each participant needs their own email address.",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(client, webinar, overrides, message):
    token = open_form(client, webinar)
    data = registration_form(token, participants=2, **overrides)
    data = {k: v for k, v in data.items() if v != ""}
    response = client.post(
        f"/events/{webinar.id}/register", data=data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or 'id="form-errors"' in response.text
    assert count(Booking) == 0 and count(Company) == 0 and count(Participant) == 0


def test_messages_are_in_swedish_for_swedish_browsers(client, webinar):
    response = client.get(
        f"/events/{webinar.id}/register", headers={"Accept-Language": "sv-SE,sv;q=0.9"}
    )
    token = csrf_from(response.text)
    data = registration_form(token, org_number="5560360794")
    response = client.post(
        f"/events/{webinar.id}/register", data=data, headers={"Accept-Language": "sv-SE"}
    )
    assert response.status_code == 422
    assert "Det är inte ett giltigt organisationsnummer." in response.text
    assert '<html lang="sv">' in response.text


def test_a_participant_s_own_fields_answer_in_swedish_too(client, webinar):
    """WTForms' own messages of a subform (one participant) in the page's language."""
    url = f"/events/{webinar.id}/register"
    token = csrf_from(client.get(url).text)
    data = registration_form(token, **{"participants-0-name": "N" * 201})
    response = client.post(url, data=data, headers={"Accept-Language": "sv-SE"})
    assert response.status_code == 422
    assert "Fältet får inte vara längre än 200 tecken." in response.text
    assert "Field cannot be longer" not in response.text


def test_foreign_company_with_its_own_number_needs_no_county(client, webinar):
    token = open_form(client, webinar)
    data = registration_form(token, country="NO", org_number="974 760 673", county="")
    response = client.post(f"/events/{webinar.id}/register", data=data)
    assert response.status_code == 303
    company = db.session.scalars(select(Company)).one()
    assert (company.country, company.org_number, company.county) == ("NO", "974 760 673", None)


def test_too_many_participants_are_refused(client, app):
    event = f.event(capacity=50, max_per_company=2)
    db.session.commit()
    token = open_form(client, event)
    response = client.post(
        f"/events/{event.id}/register",
        data=registration_form(token, participants=3),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "At most 2 participants can be registered." in response.text
    assert count(Booking) == 0


def test_a_company_registering_twice_is_told_and_its_contact_gets_the_link(client, app):
    from webapp.notifications.models import MessageKind, OutboxMessage

    event = f.event(capacity=1, max_per_company=3)
    f.book(event, 1)
    db.session.commit()
    token = open_form(client, event)
    first = client.post(f"/events/{event.id}/register", data=registration_form(token))
    assert first.status_code == 303
    existing = db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
    assert existing.status == BookingStatus.WAITLISTED
    again = registration_form(
        token,
        participants=1,
        submission_key="key-2",
        contact_name="Someone Else",
        contact_email="someone@elsewhere.example.se",
        **{"participants-0-name": "Ny Person", "participants-0-email": "ny@elsewhere.example.se"},
    )
    for _ in range(2):
        response = client.post(
            f"/events/{event.id}/register", data=again, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 409
        assert "already registered for this event" in response.text
        assert "can add 0 more" not in response.text
        # Nothing of the existing booking is shown to whoever registered.
        for secret in ("anna@norrfors.example.se", "Anna Lindqvist", "Deltagare 0", "/bookings/"):
            assert secret not in response.text
    assert count(Booking) == 2
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.BOOKING_LINK)
    ).all()
    assert [(m.recipient_email, m.booking_id) for m in sent] == [
        ("anna@norrfors.example.se", existing.id)
    ]  # once a day, however often someone tries


def test_duplicate_submit_lands_on_the_same_booking(client, webinar):
    token = open_form(client, webinar)
    data = registration_form(token, participants=1)
    first = client.post(f"/events/{webinar.id}/register", data=data)
    second = client.post(f"/events/{webinar.id}/register", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Booking) == 1
    assert db.session.get(Event, webinar.id).seats_taken == 1


EDITS = {
    "another address and one more": {
        "participants-0-email": "rattad@norrfors.example.se",
        "participants-1-name": "Ny Deltagare",
        "participants-1-email": "ny@norrfors.example.se",
        "participants-1-gender": "undisclosed",
    },
    "a name corrected": {"participants-0-name": "Deltagare Noll"},
    "a message added": {"message": "Vi kommer med rullstol."},
}


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_a_form_sent_again_with_changes_shows_the_first_booking_and_says_so(
    client, webinar, language, edit
):
    """The same form sent again with changes (another tab, a resend): the first booking
    stays as it was, and the page warns that the changes were not saved (instead of
    silently showing the old booking)."""
    token = open_form(client, webinar)
    url = f"/events/{webinar.id}/register"
    first = client.post(url, data=registration_form(token, participants=1))
    edited = registration_form(token, participants=1, **EDITS[edit])
    again = client.post(url, data=edited, headers={"Accept-Language": language})
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    page = client.get(again.headers["Location"], headers={"Accept-Language": language}).text
    said = {
        "en": "The changes made after it was sent were not saved",
        "sv": "Ändringarna som gjordes efter att det skickades sparades inte",
    }
    assert '<p class="flash flash-warning">' in page and said[language] in page
    assert count(Booking) == 1 and count(Participant) == 1
    assert db.session.scalar(select(Participant.name)) == "Deltagare 0"
    assert db.session.scalar(select(Participant.email)) == "deltagare0@norrfors.example.se"
    assert db.session.get(Event, webinar.id).seats_taken == 1


def test_full_event_puts_the_booking_on_the_waiting_list(client, app):
    event = f.event(capacity=1)
    f.book(event, 1, company=3)
    db.session.commit()
    token = open_form(client, event)
    response = client.post(
        f"/events/{event.id}/register",
        data=registration_form(token),
        headers={"Accept-Language": "en"},
    )
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert "waiting list" in page.text
    assert (
        db.session.scalars(select(Booking).where(Booking.company_id != 1)).one().status
        == BookingStatus.WAITLISTED
    )


@pytest.mark.parametrize("state", ["draft", "closed", "cancelled"])
def test_closed_registration_shows_a_message_and_refuses_posts(client, app, state):
    event = f.event()
    if state == "draft":
        event.status = "draft"
    elif state == "cancelled":
        event.status = "cancelled"
    else:
        event.registration_closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    response = client.get(f"/events/{event.id}/register", headers={"Accept-Language": "en"})
    if state == "draft":
        assert response.status_code == 404
        return
    assert "Registration for this event is closed." in response.text
    response = client.post(f"/events/{event.id}/register", data=registration_form("x"))
    assert response.status_code in (200, 400)
    assert count(Booking) == 0


@pytest.mark.parametrize(
    "token", ["1-AAAAAAAAAAAAAAAAAAAAAAAA", "999999-abc", "garbage", "1-" + "x" * 200]
)
def test_unknown_or_tampered_manage_token_is_404(client, app, token):
    event = f.event()
    f.book(event, 1)
    db.session.commit()
    assert client.get(f"/bookings/{token}").status_code == 404
    assert client.post(f"/bookings/{token}/cancel", data={}).status_code in (400, 404)
    assert db.session.scalars(select(Booking)).one().status == BookingStatus.CONFIRMED


def test_manage_page_adds_a_participant_within_limits(client, app):
    event = f.event(capacity=2)
    booking = f.book(event, 1)
    db.session.commit()
    from webapp.bookings.services import manage_token

    url = f"/bookings/{manage_token(booking)}"
    page = client.get(url, headers={"Accept-Language": "en"})
    data = {
        "csrf_token": csrf_from(page.text),
        "participant-name": "Ny Person",
        "participant-email": "ny@example.se",
    }
    assert client.post(f"{url}/participants", data=data).status_code == 303
    # The event is now full: the next one is refused with a message, nothing stored.
    data["participant-email"] = "ny2@example.se"
    response = client.post(f"{url}/participants", data=data, headers={"Accept-Language": "en"})
    assert response.status_code in (200, 409)
    db.session.expire_all()
    assert len(db.session.get(Booking, booking.id).active_participants) == 2
    assert db.session.get(Event, event.id).seats_taken == 2


def test_manage_page_sends_no_referrer_and_is_not_cached(client, app):
    event = f.event()
    booking = f.book(event, 1)
    db.session.commit()
    from webapp.bookings.services import manage_token

    response = client.get(f"/bookings/{manage_token(booking)}")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "PUBLIC_POST_LIMIT": "3 per minute"}]
)
def test_rate_limit_on_public_posts(app, client):
    from webapp.extensions import limiter

    limiter.reset()
    event = f.event()
    db.session.commit()
    codes = [
        client.post(f"/events/{event.id}/register", data={"csrf_token": "x"}).status_code
        for _ in range(5)
    ]
    assert codes[-1] == 429
    assert count(Booking) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/events/99999999999999999999",
        "/events/99999999999999999999/register",
        "/bookings/²-AAAAAAAAAAAAAAAAAAAAAAAA",
        "/bookings/99999999999999999999-AAAAAAAAAAAAAAAAAAAAAAAA/confirmation",
    ],
)
def test_odd_ids_in_urls_are_404_not_500(client, app, url):
    assert client.get(url).status_code == 404


def test_huge_page_number_is_an_empty_page(client, app):
    assert client.get("/?page=99999999999999999999").status_code == 200


@pytest.mark.parametrize("number", ["19811228-9874", "198112289874", "16556036-0793"])
def test_twelve_digit_swedish_numbers_are_accepted(client, webinar, number):
    token = open_form(client, webinar)
    data = registration_form(token, org_number=number)
    assert client.post(f"/events/{webinar.id}/register", data=data).status_code == 303
    assert len(db.session.scalars(select(Company.org_number)).one()) == 11


def test_adding_a_block_beyond_the_limit_says_so(client, app):
    event = f.event(max_per_company=1)
    db.session.commit()
    token = open_form(client, event)
    data = registration_form(token)
    del data["submit"]
    data["add_participant"] = "Add another participant"
    response = client.post(
        f"/events/{event.id}/register", data=data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert "At most 1 participants can be registered." in response.text
    assert 'name="participants-1-name"' not in response.text


def test_the_form_s_choices_follow_the_visitor_s_language(client, webinar):
    # Choices built once at import would freeze in the language of the first request.
    english = client.get(f"/events/{webinar.id}/register", headers={"Accept-Language": "en"})
    assert "Fewer than 10 people" in english.text
    swedish = client.get(f"/events/{webinar.id}/register", headers={"Accept-Language": "sv"})
    assert "Fewer than 10 people" not in swedish.text
    assert "Färre än 10 personer" in swedish.text


def test_a_registration_runs_the_same_statements_for_one_participant_or_many(
    client, webinar, count_queries
):
    """One INSERT for all participants, one for their confirmations and one for their
    reminders, so the statements do not grow with the participants; and nothing just
    written is read back (the manage link comes from the booking in memory)."""
    token = open_form(client, webinar)
    url = f"/events/{webinar.id}/register"
    runs = []
    for n, (number, key) in enumerate([("5560360793", "one"), ("5569999997", "four")]):
        data = registration_form(
            token, participants=1 + 3 * n, org_number=number, submission_key=key
        )
        data["contact_email"] = f"kontakt{n}@example.se"
        with count_queries() as statements:
            response = client.post(url, data=data)
        assert response.status_code == 303, response.text
        runs.append([" ".join(s.split()) for s in statements])
    one, four = runs
    assert len(one) == len(four), "\n".join(four)
    # Before the lock: the event, its privacy notice, its aid scheme and questions (the
    # form's sections). Under it: the event with its sessions, the submission key, the
    # company; then the company and its history, the aid review, the seats, the booking,
    # its participants, the directory profile and invitation, the confirmations, the
    # reminders.
    assert len(one) <= 17, "\n".join(one)
    written = next(i for i, s in enumerate(one) if s.startswith("INSERT INTO bookings"))
    assert not [s for s in one[written:] if s.startswith("SELECT bookings")]
    bookings = db.session.scalars(select(Booking).order_by(Booking.id)).all()
    assert [len(b.participants) for b in bookings] == [1, 4]
    assert [b.status for b in bookings] == [BookingStatus.CONFIRMED] * 2
    assert db.session.get(Event, webinar.id).seats_taken == 5
