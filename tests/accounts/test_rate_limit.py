"""Login attempts are rate-limited (the other tests run with the limiter off)."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp.db import db


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}


def test_fourth_failed_login_in_a_minute_is_refused(client, app):
    person = h.user(f.organisation())
    db.session.commit()
    token = csrf_from(client.get("/organisers/login").text)
    statuses = [
        client.post(
            "/organisers/login",
            data={"email": person.email, "password": "guess", "csrf_token": token},
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def _attempt(client, email: str, password: str, address: str) -> int:
    token = csrf_from(client.get("/organisers/login", environ_base={"REMOTE_ADDR": address}).text)
    return client.post(
        "/organisers/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_wrong_passwords_from_elsewhere_do_not_lock_the_organiser_out(client, app):
    person = h.user(f.organisation())
    db.session.commit()
    attacker = app.test_client()
    statuses = [_attempt(attacker, person.email, "guess", "192.0.2.66") for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert _attempt(client, person.email, h.PASSWORD, "198.51.100.7") == 303


def test_one_address_trying_many_accounts_is_limited_too(client, app):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "5 per minute"
    statuses = [_attempt(client, f"user{i}@example.se", "guess", "192.0.2.66") for i in range(6)]
    assert statuses == [401] * 5 + [429]


def test_colleagues_logging_in_behind_one_address_use_up_no_allowance(client, app):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "4 per minute"
    org = f.organisation()
    colleagues = [h.user(org) for _ in range(6)]
    person = h.user(org)
    db.session.commit()
    address = "198.51.100.9"
    for colleague in colleagues:
        assert _attempt(app.test_client(), colleague.email, h.PASSWORD, address) == 303
    # Failures still count: three wrong passwords and the fourth attempt is refused.
    statuses = [_attempt(app.test_client(), person.email, "guess", address) for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
