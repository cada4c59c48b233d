"""Operations: /healthz (database, outbox lag) and the JSON log lines per request and batch."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests import factories as f
from tests.conftest import make_app
from webapp import operations
from webapp.db import db, utcnow
from webapp.notifications import dispatch
from webapp.notifications.models import OutboxMessage


def test_healthz_reports_the_outbox_lag(client, app):
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json == {
        "status": "ok",
        "database": "ok",
        "outbox": {"due": 0, "oldest_due_seconds": 0.0},
    }
    assert "Set-Cookie" not in ok.headers and ok.cache_control.no_store
    f.book(f.event(), 2)
    db.session.execute(
        update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()
    late = client.get("/healthz").json["outbox"]
    assert late["due"] >= 1 and 299 <= late["oldest_due_seconds"] <= 400


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/missing/directory/db.sqlite")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}


def _json_lines(records: list[logging.LogRecord], message: str) -> list[dict]:
    formatter = operations.JsonFormatter()
    lines = [formatter.format(r) for r in records if r.getMessage() == message]
    for line in lines:
        assert "\n" not in line
    return [json.loads(line) for line in lines]


@pytest.fixture
def json_app(database_url, app_config, monkeypatch):
    # The handler on the root logger would outlive the test; the formatter is tested here.
    monkeypatch.setattr(operations, "configure_json_logging", lambda: None)
    application = make_app(database_url, LOG_FORMAT="json", **app_config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_one_json_line_per_request_without_secrets(json_app, caplog):
    caplog.set_level(logging.INFO, logger="traffpunkt.request")
    client = json_app.test_client()
    client.get("/")
    client.get("/bookings/123-notarealtoken")
    lines = _json_lines(caplog.records, "request")
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("GET", "/", 200),
        ("GET", "/bookings/<token>", 404),
    ]
    assert all(line["duration_ms"] >= 0 and line["level"] == "info" for line in lines)
    assert "notarealtoken" not in caplog.text


def test_one_json_line_per_dispatched_batch(json_app, caplog, smtp_server):
    caplog.set_level(logging.INFO, logger="webapp.notifications.dispatch")
    f.book(f.event(), 3)
    db.session.commit()
    dispatch.dispatch_due()
    (line,) = _json_lines(caplog.records, "outbox batch")
    assert line["claimed"] == line["sent"] >= 1 and line["failed"] == 0
    assert line["duration_ms"] >= 0 and line["logger"] == "webapp.notifications.dispatch"
