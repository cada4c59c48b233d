"""Builders of organiser users and a client logged in as one, for account and organiser tests."""

from __future__ import annotations

import itertools
from functools import cache

from argon2 import PasswordHasher, profiles
from flask.testing import FlaskClient

from tests.conftest import csrf_from
from webapp.accounts import services
from webapp.accounts.models import Membership, Role, User
from webapp.db import db
from webapp.organisations.models import Organisation

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@cache
def _password_hash() -> str:
    # argon2 is slow on purpose; hash once per test run, not once per user.
    return cheap_hasher().hash(PASSWORD)


def user(
    organisation: Organisation | None = None, role: Role | str = Role.ORGANISER, **fields: object
) -> User:
    """A user with ``PASSWORD`` and, when given, a role in ``organisation``."""
    n = next(_seq)
    person = User(
        email=fields.pop("email", f"user{n}@org.example.se"),
        name=fields.pop("name", f"Organiser {n}"),
        password_hash=_password_hash(),
        **fields,
    )
    if organisation is not None:
        person.memberships.append(Membership(organisation=organisation, role=Role(role)))
    db.session.add(person)
    db.session.flush()
    return person


def login(client: FlaskClient, person: User, password: str = PASSWORD) -> None:
    """Log ``client`` in through the login form."""
    page = client.get("/organisers/login")
    response = client.post(
        "/organisers/login",
        data={"email": person.email, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text


def post_form(client: FlaskClient, url: str, data: dict[str, object], form_page: str | None = None):
    """POST ``data`` with a CSRF token taken from ``form_page`` (default: a GET of ``url``)."""
    page = client.get(form_page or url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


def login_session(client: FlaskClient, person: User) -> str:
    """Log ``client`` in by starting a login and writing Flask-Login's session keys (skips
    argon2 and the form, for speed). Returns the login's identity."""
    identity = services.start_session(person)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = identity
        session["_fresh"] = True
        session.permanent = True
    return identity


def cheap_hasher() -> PasswordHasher:
    """argon2 with the lightest parameters: the same code paths, milliseconds per hash."""
    return PasswordHasher.from_parameters(profiles.CHEAPEST)
