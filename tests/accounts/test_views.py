"""Login, logout, passwords, reset links, invitations and members, through the client."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp import signals
from webapp.accounts.models import Invitation, Membership, Role, User
from webapp.accounts.services import reset_token
from webapp.db import db
from webapp.organisations.audit import AuditEntry


@contextmanager
def caught(signal):
    """Collect (sender, kwargs) of every send of ``signal`` inside the block."""
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield seen
    finally:
        signal.disconnect(receiver)


@pytest.fixture
def admin(app):
    org = f.organisation("Teknikparken")
    person = h.user(org, Role.ADMIN, email="admin@park.example.se")
    db.session.commit()
    return person


def test_login_then_logout(client, admin):
    assert client.get("/organisers/").status_code == 302
    h.login(client, admin)
    assert client.get("/organisers/").status_code == 200
    with client.session_transaction() as session:
        assert session.permanent  # expires after PERMANENT_SESSION_LIFETIME
    page = client.get("/organisers/")
    response = client.post("/organisers/logout", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert client.get("/organisers/").status_code == 302


def test_session_cookie_expires(app, client, admin):
    h.login(client, admin)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    assert (
        app.permanent_session_lifetime.total_seconds() == app.config["PERMANENT_SESSION_LIFETIME"]
    )


def test_wrong_password_is_refused_with_one_message(client, admin):
    page = client.get("/organisers/login")
    response = client.post(
        "/organisers/login",
        data={"email": admin.email, "password": "wrong", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 401
    assert client.get("/organisers/").status_code == 302


def test_login_form_errors_are_tied_to_fields(client, admin):
    page = client.get("/organisers/login")
    response = client.post(
        "/organisers/login",
        data={"email": "not an email", "password": "", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 422
    assert 'aria-describedby="email-error"' in response.text
    assert 'id="password-error"' in response.text


def test_login_goes_back_to_the_page_asked_for_but_never_elsewhere(client, admin):
    response = client.get("/organisers/password")
    assert response.status_code == 302
    assert "next=" in response.headers["Location"]
    page = client.get("/organisers/login")
    response = client.post(
        "/organisers/login?next=https://evil.example/",
        data={"email": admin.email, "password": h.PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.headers["Location"] == "/"


def test_login_without_csrf_token_is_refused(client, admin):
    response = client.post("/organisers/login", data={"email": admin.email, "password": h.PASSWORD})
    assert response.status_code == 400


def test_password_change(client, admin):
    h.login(client, admin)
    bad = h.post_form(
        client,
        "/organisers/password",
        {"current": "wrong", "password": "a new long password", "confirm": "a new long password"},
    )
    assert bad.status_code == 422
    assert "current-error" in bad.text
    short = h.post_form(
        client,
        "/organisers/password",
        {"current": h.PASSWORD, "password": "short", "confirm": "short"},
    )
    assert short.status_code == 422
    ok = h.post_form(
        client,
        "/organisers/password",
        {
            "current": h.PASSWORD,
            "password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert ok.status_code == 303
    assert client.get("/organisers/").status_code == 200  # this session stays logged in


def test_password_reset_by_emailed_link(client, admin):
    with caught(signals.password_reset_requested) as sent:
        response = h.post_form(client, "/organisers/password/reset", {"email": admin.email})
    assert response.status_code == 303
    ((sender, kwargs),) = sent
    assert sender == admin.email and kwargs["user"].id == admin.id
    path = f"/organisers/password/reset/{reset_token(admin)}"
    new = {"password": "my brand new password", "confirm": "my brand new password"}
    assert h.post_form(client, path, new).status_code == 303
    # Used once: the link no longer works.
    assert client.get(path).status_code == 303
    fresh = client.application.test_client()
    h.login(fresh, db.session.get(User, admin.id), "my brand new password")


def test_reset_for_unknown_address_says_the_same_and_names_no_account(client, admin):
    with caught(signals.password_reset_requested) as sent:
        response = h.post_form(client, "/organisers/password/reset", {"email": "nobody@example.se"})
    assert response.status_code == 303
    assert sent == [("nobody@example.se", {"user": None})]


def test_admin_invites_a_colleague_who_creates_an_account(client, admin):
    org_id = admin.memberships[0].organisation_id
    h.login(client, admin)
    members_url = f"/organisers/organisations/{org_id}/members"
    with caught(signals.colleague_invited) as sent:
        response = h.post_form(
            client,
            f"/organisers/organisations/{org_id}/invitations",
            {"email": "kollega@park.example.se", "role": "organiser"},
            form_page=members_url,
        )
    assert response.status_code == 303
    ((invitation, kwargs),) = sent
    assert invitation.email == "kollega@park.example.se"
    path = kwargs["url"].removeprefix("http://localhost")

    newcomer = client.application.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200
    bad = newcomer.post(
        path, data={"name": "", "password": "x", "confirm": "y", "csrf_token": csrf_from(page.text)}
    )
    assert bad.status_code == 422
    assert db.session.query(User).filter_by(email="kollega@park.example.se").count() == 0
    ok = newcomer.post(
        path,
        data={
            "name": "Kollega",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert ok.status_code == 303
    assert newcomer.get("/organisers/").status_code == 200
    user = db.session.query(User).filter_by(email="kollega@park.example.se").one()
    assert user.memberships[0].role == Role.ORGANISER
    assert newcomer.get(path).status_code == 404  # used


def test_invite_form_errors_store_nothing(client, admin):
    org_id = admin.memberships[0].organisation_id
    h.login(client, admin)
    members_url = f"/organisers/organisations/{org_id}/members"
    for data in (
        {"email": "not-an-email", "role": "viewer"},
        {"email": "ok@example.se", "role": "emperor"},
        {"email": admin.email, "role": "viewer"},
    ):
        response = h.post_form(
            client, f"/organisers/organisations/{org_id}/invitations", data, form_page=members_url
        )
        assert response.status_code in (409, 422)
    assert db.session.query(Invitation).count() == 0


def test_admin_changes_roles_and_removes_members(client, admin):
    org_id = admin.memberships[0].organisation_id
    colleague = h.user(
        db.session.get(Membership, admin.memberships[0].id).organisation, Role.VIEWER
    )
    db.session.commit()
    membership_id = colleague.memberships[0].id
    h.login(client, admin)
    members_url = f"/organisers/organisations/{org_id}/members"
    response = h.post_form(
        client,
        f"/organisers/memberships/{membership_id}/role",
        {"role": "organiser"},
        form_page=members_url,
    )
    assert response.status_code == 303
    assert db.session.get(Membership, membership_id).role == Role.ORGANISER
    own = admin.memberships[0].id
    response = h.post_form(
        client, f"/organisers/memberships/{own}/role", {"role": "viewer"}, form_page=members_url
    )
    assert db.session.get(Membership, own).role == Role.ADMIN  # last admin stays
    response = h.post_form(
        client,
        f"/organisers/memberships/{membership_id}/remove",
        {"confirmed": "yes"},
        form_page=members_url,
    )
    assert response.status_code == 303
    assert db.session.get(Membership, membership_id) is None
    assert db.session.query(AuditEntry).filter_by(action="member.removed").count() == 1


def test_users_create_command(app, runner):
    org = f.organisation()
    db.session.commit()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "first@park.example.se",
            "--name",
            "Första Admin",
            "--organisation",
            org.slug,
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(email="first@park.example.se").one()
    assert user.memberships[0].role == Role.ADMIN
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "first@park.example.se",
            "--name",
            "X",
            "--organisation",
            org.slug,
            "--password",
            "a long enough password",
        ]
    )
    assert again.exit_code != 0
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@example.se",
            "--name",
            "X",
            "--organisation",
            "nope",
            "--password",
            "a long password",
        ]
    )
    assert unknown.exit_code != 0
    prompted = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "second@park.example.se",
            "--name",
            "Andra",
            "--organisation",
            org.slug,
        ],
        input="a long enough password\na long enough password\n",
    )
    assert prompted.exit_code == 0, prompted.output


def test_nav_links_to_the_organiser_login(client):
    assert "/organisers/login" in client.get("/").text


def test_reset_forms_refuse_bad_input(client, admin):
    bad = h.post_form(client, "/organisers/password/reset", {"email": "not-an-address"})
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    path = f"/organisers/password/reset/{reset_token(admin)}"
    for data in (
        {"password": "short", "confirm": "short"},
        {"password": "a long enough password", "confirm": "a different password"},
    ):
        response = h.post_form(client, path, data)
        assert response.status_code == 422
    assert client.get(path).status_code == 200  # still unused: nothing was stored


def test_invitation_opened_while_logged_in_as_someone_else_asks_to_log_out(client, admin):
    from webapp.accounts.services import invitation_token

    org = admin.memberships[0].organisation
    invited = h.user(org, Role.VIEWER, email="kollega@park.example.se")
    from datetime import timedelta

    from webapp import tokens
    from webapp.db import utcnow

    invitation = Invitation(
        organisation=org,
        email=invited.email,
        role=Role.ORGANISER,
        invited_by=admin,
        token_nonce=tokens.new_nonce(),
        expires_at=utcnow() + timedelta(days=7),
    )
    db.session.add(invitation)
    db.session.commit()
    h.login(client, admin)
    path = f"/organisers/invitations/{invitation_token(invitation)}"
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 409  # a page, not a redirect back and forth
    assert "but you are logged in as admin@park.example.se" in response.text
