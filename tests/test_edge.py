"""What the outside review found at the edge of the app, one test per finding: file parts
in place of text, control characters, line breaks in names, replayed submission keys, the
request size limit, HSTS, and the login limit that locked organisers out."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.bookings.test_views import open_form, registration_form
from tests.conftest import csrf_from, make_app
from webapp.accounts.models import Role
from webapp.bookings.models import Booking, Company, Participant
from webapp.db import db

EN = {"Accept-Language": "en"}


@pytest.fixture
def event(app):
    ev = f.event(capacity=20)
    db.session.commit()
    return ev


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(model.id)))


# --- 2. file parts where text is expected -------------------------------------------------


@pytest.mark.parametrize(
    "field", ["company_name", "org_number", "contact_name", "participants-0-name"]
)
def test_a_file_in_place_of_a_registration_field_is_bad_input(client, event, field):
    data = registration_form(open_form(client, event))
    data[field] = (io.BytesIO(b"Evil AB"), "name.txt")
    response = client.post(
        f"/events/{event.id}/register", data=data, headers=EN, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "This form does not take files" in response.text
    assert count(Booking) == 0


@pytest.mark.parametrize("path", ["/organisers/login", "/organisers/password/reset"])
def test_a_file_in_place_of_an_email_is_bad_input(client, path):
    token = csrf_from(client.get(path).text)
    response = client.post(
        path,
        data={"email": (io.BytesIO(b"a@b.se"), "e.txt"), "password": "x", "csrf_token": token},
        content_type="multipart/form-data",
        headers={"Accept-Language": "sv"},
    )
    assert response.status_code == 400
    assert "Formuläret tar inte emot filer" in response.text


def test_a_file_part_is_bad_input_in_production_mode_too(database_url, monkeypatch):
    monkeypatch.setenv("ENV_NAME", "production")
    app = make_app(database_url, TESTING=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    token = csrf_from(client.get("/organisers/login").text)
    response = client.post(
        "/organisers/login",
        data={"email": (io.BytesIO(b"x"), "e.txt"), "password": "x", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    with app.app_context():
        db.engine.dispose()


# --- 3. NUL and other control characters --------------------------------------------------


def test_control_characters_are_stripped_from_registration_text_on_both_databases(client, event):
    data = registration_form(
        open_form(client, event),
        company_name="Norr\x00fors\x0b AB",
        **{
            "participants-0-name": "An\x00na\x1b\u202e",
            "participants-0-dietary_needs": "Vege\x00tarian",
            "message": "Hej\x00!\r\nVi kommer\x07.",
        },
    )
    response = client.post(f"/events/{event.id}/register", data=data)
    assert response.status_code == 303
    assert db.session.scalar(select(Company.name)) == "Norrfors AB"
    person = db.session.scalars(select(Participant)).one()
    assert (person.name, person.dietary_needs) == ("Anna", "Vegetarian")
    # Line breaks are kept (normalised to LF at the form); the control characters are gone.
    assert db.session.scalar(select(Booking.message)) == "Hej!\nVi kommer."


def test_a_nul_in_a_path_is_not_found(client, event):
    assert client.get("/feeds/organisations/a%00b.ics").status_code == 404
    assert client.get("/bookings/1-%00aaaaaaaaaaaaaaaaaaaaaaa").status_code == 404


@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx", "/print"])
def test_a_nul_in_the_attendee_search_is_ignored(app, client, event, suffix):
    f.book(event, 1)
    person = h.user(event.organisation, Role.VIEWER)
    h.login_session(client, person)
    response = client.get(f"/organisers/events/{event.id}/attendees{suffix}?q=Del%00tagare")
    assert response.status_code == 200
    if suffix in ("", ".csv"):
        assert "Deltagare" in response.get_data(as_text=True)


def test_a_nul_in_the_public_list_filters_is_ignored(client, event):
    assert client.get("/?organisation=a%00b&q=%00").status_code == 200
    assert client.get("/feeds/events.ics?project=%00").status_code == 200


# --- 4. line breaks in names --------------------------------------------------------------


@pytest.mark.parametrize("field", ["contact_name", "participants-0-name", "company_name"])
def test_a_line_break_in_a_name_is_refused_at_the_form(client, event, field):
    data = registration_form(open_form(client, event), **{field: "Anna\r\nBcc: x@evil.example"})
    response = client.post(f"/events/{event.id}/register", data=data, headers=EN)
    assert response.status_code == 422
    assert "Line breaks are not allowed here." in response.text
    assert count(Booking) == 0


def test_every_form_class_has_the_app_base():
    from flask_wtf import FlaskForm

    from webapp.formtools import AppForm

    create = make_app("sqlite://")  # imports every form module
    assert create is not None

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("webapp.")]
    assert ours, "no forms found"
    assert [c.__qualname__ for c in ours if not issubclass(c, AppForm)] == []


# --- 5. a replayed submission key ---------------------------------------------------------


def test_the_submission_key_alone_does_not_open_the_booking(app, client, event):
    data = registration_form(open_form(client, event), submission_key="k" * 32)
    first = client.post(f"/events/{event.id}/register", data=data)
    assert first.status_code == 303 and "/bookings/" in first.headers["Location"]
    # The same browser sending the form again lands on its booking (a double click).
    again = client.post(f"/events/{event.id}/register", data=data)
    assert again.headers["Location"] == first.headers["Location"]
    # Stored: a hash, not the key.
    stored = db.session.scalar(select(Booking.submission_key))
    assert "k" * 32 not in stored and len(stored) == 64
    # Someone else with the key (from the page, a dump, a shared cache) gets no manage link.
    other = app.test_client()
    replay = registration_form(open_form(other, event), submission_key="k" * 32)
    response = other.post(f"/events/{event.id}/register", data=replay)
    assert response.headers.get("Location") != first.headers["Location"]
    other.post(f"/events/{event.id}/register", data={**replay, "submission_key": stored})
    bookings = db.session.scalars(select(Booking)).all()
    assert len({b.id for b in bookings}) == len(bookings)


# --- 7. request size ---------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_with_the_error_page(client, event):
    token = open_form(client, event)
    data = registration_form(token, message="x" * (2 * 1024 * 1024))
    response = client.post(f"/events/{event.id}/register", data=data, headers=EN)
    assert response.status_code == 413
    assert "What you sent is too large." in response.text
    assert count(Booking) == 0


def test_the_largest_real_registration_fits(app, client):
    cap = app.config["MAX_PARTICIPANTS_PER_BOOKING"]
    event = f.event(capacity=100)
    db.session.commit()
    emoji = "😀"
    data = registration_form(
        open_form(client, event),
        participants=cap,
        message=emoji * 2000,
        company_name=emoji * 200,
        contact_name=emoji * 200,
    )
    for i in range(cap):
        data[f"participants-{i}-name"] = emoji * 200
        data[f"participants-{i}-role"] = emoji * 200
        data[f"participants-{i}-dietary_needs"] = emoji * 500
        data[f"participants-{i}-accessibility_needs"] = emoji * 500
    response = client.post(f"/events/{event.id}/register", data=data)
    assert response.status_code == 303, response.status_code
    assert count(Participant) == cap


# --- 8. HSTS ------------------------------------------------------------------------------


def test_hsts_in_production_only(database_url, monkeypatch, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    monkeypatch.setenv("ENV_NAME", "production")
    production = make_app(database_url)
    response = production.test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    with production.app_context():
        db.engine.dispose()
