"""Account emails through the outbox: a password reset and an invitation, asked for through
the client, read off a real SMTP server, and their links followed to the end, in Swedish and
English. Also: a double click sends one reset, the link is never stored nor shown to
organisers, stale messages are cancelled, and with no mail server the email waits in the
outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.smtp import Received, SmtpServer
from webapp.accounts import services as accounts
from webapp.accounts.models import Invitation, Role, User
from webapp.db import db, utcnow
from webapp.notifications import account_messages, dispatch
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

NEW_PASSWORD = "a brand new password"

SUBJECTS = {
    ("sv", MessageKind.PASSWORD_RESET): "Välj ett nytt lösenord till Träffpunkt",
    ("en", MessageKind.PASSWORD_RESET): "Set a new password for Träffpunkt",
    ("sv", MessageKind.INVITATION): "Inbjudan till Teknikparken i Träffpunkt",
    ("en", MessageKind.INVITATION): "Invitation to Teknikparken on Träffpunkt",
}


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", h.cheap_hasher())


@pytest.fixture
def admin(app: Any) -> User:
    org = f.organisation("Teknikparken", contact_email="hej@teknikparken.example.se")
    person = h.user(org, Role.ADMIN, name="Anna Admin", email="admin@park.example.se")
    db.session.commit()
    return person


def send_all() -> dispatch.DispatchResult:
    db.session.commit()
    return dispatch.dispatch_due()


def only(server: SmtpServer, address: str) -> Received:
    got = server.to(address)
    assert len(got) == 1, [g.message["Subject"] for g in got]
    return got[0]


def link(received: Received, path: str) -> str:
    """The one link to ``path`` in the email, the same in its text and HTML parts."""
    pattern = re.compile(rf"http://localhost{re.escape(path)}[\w.~-]+")
    in_text = set(pattern.findall(received.part("text/plain")))
    in_html = set(pattern.findall(received.part("text/html")))
    assert len(in_text) == 1 and in_text == in_html, (in_text, in_html)
    return in_text.pop().removeprefix("http://localhost")


def in_language(client: FlaskClient, language: str) -> FlaskClient:
    client.set_cookie("lang", language)
    return client


def request_reset(client: FlaskClient, email: str) -> None:
    response = h.post_form(client, "/organisers/password/reset", {"email": email})
    assert response.status_code == 303


def rows(kind: MessageKind) -> list[OutboxMessage]:
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_reset_email_carries_a_link_that_sets_a_new_password(
    app, client, smtp_server, admin, language
):
    request_reset(in_language(client, language), admin.email)
    assert send_all().sent == 1

    got = only(smtp_server, admin.email)
    assert got.rcpt_tos == [admin.email]
    assert got.to == f"Anna Admin <{admin.email}>"
    assert got.message["Subject"] == SUBJECTS[language, MessageKind.PASSWORD_RESET]
    assert got.message["Content-Language"] == language
    # From the site, and replies to the organisation the user belongs to.
    assert got.message["From"] == "Träffpunkt <noreply@traffpunkt.test>"
    assert got.message["Reply-To"] == "Teknikparken <hej@teknikparken.example.se>"
    greeting = {"sv": "Hej Anna Admin,", "en": "Hello Anna Admin,"}[language]
    assert greeting in got.part("text/plain")
    path = link(got, "/organisers/password/reset/")

    # Only references are stored: the link, a credential, is nowhere in the outbox.
    (row,) = rows(MessageKind.PASSWORD_RESET)
    token = path.rsplit("/", 1)[-1]
    stored = " ".join(str(getattr(row, column.key)) for column in OutboxMessage.__table__.columns)
    assert token not in stored and row.payload == {}
    assert row.event_id is None and row.user_id == admin.id and row.language == language

    stranger = app.test_client()
    assert stranger.get(path).status_code == 200
    new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert h.post_form(stranger, path, new).status_code == 303
    h.login(app.test_client(), db.session.get(User, admin.id), NEW_PASSWORD)
    assert stranger.get(path).status_code == 303, "used once, the link no longer works"


def test_double_click_sends_one_reset_a_later_request_another(
    app, client, smtp_server, admin, monkeypatch
):
    request_reset(client, admin.email)
    request_reset(client, admin.email)
    assert len(rows(MessageKind.PASSWORD_RESET)) == 1
    send_all()
    assert len(smtp_server.to(admin.email)) == 1

    # After the window, asking again is a new request and gets a new email.
    later = utcnow() + account_messages.REPEAT_WINDOW
    monkeypatch.setattr(account_messages, "utcnow", lambda: later)
    request_reset(client, admin.email)
    assert len(rows(MessageKind.PASSWORD_RESET)) == 2
    assert dispatch.dispatch_due(later).sent == 1
    assert len(smtp_server.to(admin.email)) == 2


def test_reset_for_unknown_or_inactive_address_sends_nothing(app, client, smtp_server, admin):
    request_reset(client, "nobody@example.se")
    admin.is_active = False
    db.session.commit()
    request_reset(client, admin.email)
    # Recorded as requests (the same work as for an account), never to be sent.
    got = {(r.recipient_email, r.status, r.user_id) for r in rows(MessageKind.PASSWORD_RESET)}
    assert got == {
        ("nobody@example.se", MessageStatus.CANCELLED, None),
        (admin.email, MessageStatus.CANCELLED, None),
    }
    assert send_all().claimed == 0
    assert smtp_server.received == []


def test_reset_that_waited_longer_than_a_link_lives_is_cancelled(app, client, smtp_server, admin):
    request_reset(client, admin.email)
    db.session.execute(update(OutboxMessage).values(created_at=utcnow() - accounts.RESET_LIFETIME))
    result = send_all()
    assert result.sent == 0 and result.cancelled == 1
    (row,) = rows(MessageKind.PASSWORD_RESET)
    assert row.status == MessageStatus.CANCELLED and "not sent" in row.last_error
    assert smtp_server.received == []


def invite(client: FlaskClient, admin: User, email: str, role: str = "organiser") -> None:
    org_id = admin.memberships[0].organisation_id
    response = h.post_form(
        client,
        f"/organisers/organisations/{org_id}/invitations",
        {"email": email, "role": role},
        form_page=f"/organisers/organisations/{org_id}/members",
    )
    assert response.status_code == 303


@pytest.mark.parametrize("language", ["sv", "en"])
def test_invitation_email_carries_a_link_that_makes_a_member(
    app, client, smtp_server, admin, language
):
    h.login(in_language(client, language), admin)
    invite(client, admin, "kollega@park.example.se")
    assert send_all().sent == 1

    got = only(smtp_server, "kollega@park.example.se")
    assert got.to == "kollega@park.example.se"
    assert got.message["Subject"] == SUBJECTS[language, MessageKind.INVITATION]
    assert got.message["From"].addresses[0].display_name == "Teknikparken"
    assert got.message["Reply-To"] == "Teknikparken <hej@teknikparken.example.se>"
    assert "Anna Admin" in got.part("text/plain") and "Anna Admin" in got.part("text/html")
    role = {"sv": "Arrangör", "en": "Organiser"}[language]
    assert role in got.part("text/plain")
    path = link(got, "/organisers/invitations/")
    (row,) = rows(MessageKind.INVITATION)
    assert path.rsplit("/", 1)[-1] not in row.dedupe_key and row.payload == {}

    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 200
    password = {"name": "Kim Kollega", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert h.post_form(newcomer, path, password).status_code == 303
    user = db.session.scalars(select(User).where(User.email == "kollega@park.example.se")).one()
    assert user.memberships[0].role == Role.ORGANISER
    assert newcomer.get(path).status_code == 404, "used"


def test_invitation_double_click_sends_one_email_another_role_another(
    app, client, smtp_server, admin
):
    h.login(client, admin)
    invite(client, admin, "kollega@park.example.se")
    invite(client, admin, "kollega@park.example.se")
    invite(client, admin, "kollega@park.example.se", role="viewer")
    assert db.session.query(Invitation).count() == 3
    assert send_all().sent == 2
    assert len(smtp_server.to("kollega@park.example.se")) == 2


def test_invitation_accepted_before_its_email_went_is_not_sent(app, client, smtp_server, admin):
    h.login(client, admin)
    invite(client, admin, "kollega@park.example.se")
    (invitation,) = db.session.scalars(select(Invitation)).all()
    accounts.accept_invitation(invitation, new_account=accounts.NewAccount("Kim", NEW_PASSWORD))
    result = send_all()
    assert result.sent == 0 and result.cancelled == 1
    assert smtp_server.received == []


def test_organisers_never_see_account_messages(app, client, smtp_server, admin):
    event = f.event(db.session.get(User, admin.id).memberships[0].organisation)
    db.session.commit()
    request_reset(client, admin.email)
    h.login(client, admin)
    invite(client, admin, "kollega@park.example.se")
    for row in rows(MessageKind.PASSWORD_RESET) + rows(MessageKind.INVITATION):
        assert client.get(f"/organisers/outbox/{row.id}").status_code == 404
        page = h.post_form(
            client,
            f"/organisers/outbox/{row.id}/resend",
            {},
            form_page=f"/organisers/events/{event.id}/outbox",
        )
        assert page.status_code == 404
    listing = client.get(f"/organisers/events/{event.id}/outbox")
    assert listing.status_code == 200
    assert "/organisers/password/reset/" not in listing.text
    assert "/organisers/invitations/" not in listing.text


@pytest.mark.parametrize("app_config", [{"SHOW_OUTBOX": True}])
def test_without_a_mail_server_the_email_waits_and_only_debug_shows_its_link(
    app, client, smtp_server, admin
):
    assert not dispatch.mail_enabled()
    request_reset(client, admin.email)
    assert send_all().claimed == 0
    (row,) = rows(MessageKind.PASSWORD_RESET)
    assert row.status == MessageStatus.PENDING
    assert smtp_server.received == []

    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert admin.email in page.text
    assert "/organisers/password/reset/" not in page.text, "a credential, not for a demo site"

    app.debug = True
    page = client.get("/dev/outbox")
    paths = set(re.findall(r"http://localhost(/organisers/password/reset/[\w.~-]+)", page.text))
    assert len(paths) == 1
    path = paths.pop()
    new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert h.post_form(app.test_client(), path, new).status_code == 303
    h.login(app.test_client(), db.session.get(User, admin.id), NEW_PASSWORD)


def test_reset_runs_the_same_statements_for_known_and_unknown_addresses(
    app, client, admin, count_queries
):
    token = csrf_from(client.get("/organisers/password/reset").text)

    def statements(email: str) -> list[str]:
        with count_queries() as seen:
            response = client.post(
                "/organisers/password/reset", data={"email": email, "csrf_token": token}
            )
        assert response.status_code == 303
        return seen

    known = statements(admin.email)
    unknown = statements("nobody@example.se")
    assert known == unknown
    assert any(s.lstrip().upper().startswith("INSERT") for s in known)
