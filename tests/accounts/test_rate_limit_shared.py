"""Under gunicorn with two worker processes, the login limit is one limit, not one per
worker: the counts live in Redis (RATELIMIT_STORAGE_URI), as production needs."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
import redis

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import need
from tests.gunicorn import Browser, gunicorn
from webapp.db import db

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = 4


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _round_of_guesses(database_url, email: str, tmp_path) -> tuple[set[str], list[int]]:
    """Four clients guessing six times each against two workers with one Redis limit:
    which workers answered, and every answer's status."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
    }
    log = tmp_path / f"access-{prefix}.log"
    statuses: list[int] = []
    try:
        with gunicorn(config, workers=2, log=log) as port:

            def guess(browser: Browser) -> None:
                for _ in range(6):
                    answer = browser.post_form(
                        "/organisers/login", {"email": email, "password": "wrong"}
                    )
                    statuses.append(answer.status)

            threads = [threading.Thread(target=guess, args=(Browser(port),)) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
    served_by = {line.split()[0] for line in log.read_text().splitlines() if " POST " in line}
    return served_by, statuses


@pytest.mark.slow
def test_the_login_limit_is_shared_by_every_worker(app, database_url, tmp_path):
    need(_redis_reachable(), f"Redis is not reachable at {REDIS_URL}; start redis-server")
    email = h.user(f.organisation()).email
    db.session.commit()
    # Which worker takes a connection is the kernel's choice: on a busy machine one may take
    # all of them, which proves nothing, so the round is tried again (a new limit each time).
    for _round in range(3):
        served_by, statuses = _round_of_guesses(database_url, email, tmp_path)
        if len(served_by) == 2:
            break
    assert len(served_by) == 2, "both workers answered logins"
    assert Counter(statuses) == {401: LIMIT, 429: 24 - LIMIT}
