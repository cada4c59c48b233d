"""Logins are rows on the server: logging out ends the session for every copy of its cookie,
"log out everywhere" ends them all, a password change ends the others, idle ones expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp.accounts import services
from webapp.accounts.models import LoginSession, Role
from webapp.db import db, utcnow


@pytest.fixture
def admin(app):
    person = h.user(f.organisation(), Role.ADMIN)
    db.session.commit()
    return person


def copy_of(client, app):
    """Another client holding the same session cookie (as a thief with a copy would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def logins() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(LoginSession.id)))


def test_a_copied_cookie_stops_working_when_its_session_logs_out(app, client, admin):
    h.login(client, admin)
    thief = copy_of(client, app)
    assert thief.get("/organisers/").status_code == 200
    page = client.get("/organisers/")
    assert (
        client.post("/organisers/logout", data={"csrf_token": csrf_from(page.text)}).status_code
        == 303
    )
    assert thief.get("/organisers/").status_code == 302
    assert logins() == 0


def test_logging_out_ends_only_that_login(app, client, admin):
    h.login(client, admin)
    laptop = app.test_client()
    h.login(laptop, admin)
    page = client.get("/organisers/")
    client.post("/organisers/logout", data={"csrf_token": csrf_from(page.text)})
    assert laptop.get("/organisers/").status_code == 200
    assert logins() == 1


def test_log_out_everywhere(app, client, admin):
    h.login(client, admin)
    laptop = app.test_client()
    h.login(laptop, admin)
    thief = copy_of(laptop, app)
    page = client.get("/organisers/password", headers={"Accept-Language": "en"})
    assert "Open logins of your account, this one included: 2." in page.text
    response = client.post(
        "/organisers/logout/everywhere", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303
    for browser in (client, laptop, thief):
        assert browser.get("/organisers/").status_code == 302
    assert logins() == 0
    h.login(client, admin)
    assert client.get("/organisers/").status_code == 200


def test_log_out_everywhere_needs_csrf_and_a_login(client, admin):
    assert client.post("/organisers/logout/everywhere").status_code in (302, 400)
    h.login_session(client, admin)
    assert client.post("/organisers/logout/everywhere").status_code == 400
    assert logins() == 1


def test_a_password_change_keeps_this_login_and_ends_the_others(app, client, admin):
    h.login(client, admin)
    laptop = app.test_client()
    h.login(laptop, admin)
    response = h.post_form(
        client,
        "/organisers/password",
        {
            "current": h.PASSWORD,
            "password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert response.status_code == 303
    assert client.get("/organisers/").status_code == 200
    assert laptop.get("/organisers/").status_code == 302
    assert logins() == 1


def test_only_a_hash_of_the_cookie_secret_is_stored(app, admin):
    identity = services.start_session(admin)
    db.session.commit()
    secret = identity.split(":", 1)[1]
    (row,) = db.session.scalars(select(LoginSession)).all()
    assert secret not in row.key_hash and len(row.key_hash) == 64
    assert services.load_user(f"{admin.id}:{secret}x") is None
    other = h.user()
    db.session.commit()
    assert services.load_user(f"{other.id}:{secret}") is None, "bound to its user"


def test_an_idle_login_ends_with_the_session_lifetime_a_used_one_goes_on(app, admin):
    identity = services.start_session(admin)
    db.session.commit()
    lifetime = app.permanent_session_lifetime
    soon = utcnow() + services.SEEN_GRANULARITY + timedelta(minutes=1)
    assert services.load_user(identity, now=soon) == admin  # seen: last_seen_at moves on
    assert services.load_user(identity, now=soon + lifetime - timedelta(minutes=1)) == admin
    later = soon + lifetime + lifetime
    assert services.load_user(identity, now=later) is None
    # The next login of the user clears the idle rows.
    services.start_session(admin, now=later)
    assert logins() == 1
