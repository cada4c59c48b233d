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
