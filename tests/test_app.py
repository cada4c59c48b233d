"""Configuration, the demo command and the site-wide response rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp import create_app
from webapp.bookings.models import Booking, BookingStatus
from webapp.config import normalise_database_url
from webapp.db import db
from webapp.events.models import Event, EventKind
from webapp.organisations.models import Organisation


def test_secret_key_is_generated_once_for_development(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_missing_secret_key_is_refused_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ENV_NAME", "production")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert not (tmp_path / "secret_key").exists()


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/traffpunkt")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.se")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/traffpunkt"
    assert app.config["MAIL_PORT"] == 587 and app.config["MAIL_SERVER"] == "smtp.example.se"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["MAIL_SUPPRESS_SEND"] is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://x/y", "postgresql+psycopg://x/y"),
        ("postgres://x/y", "postgresql+psycopg://x/y"),
        ("postgresql+psycopg://x/y", "postgresql+psycopg://x/y"),
        ("sqlite:///a.db", "sqlite:///a.db"),
    ],
)
def test_database_urls_use_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_demo_loads_a_realistic_set_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    kinds = set(db.session.scalars(select(Event.kind)).all())
    assert kinds == set(EventKind)
    assert db.session.scalar(select(func.count(Organisation.id))) >= 2
    statuses = set(db.session.scalars(select(Booking.status)).all())
    assert {BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.WAITLISTED} <= statuses
    # Seats match what the confirmed bookings hold, everywhere.
    for event in db.session.scalars(select(Event)):
        held = sum(
            b.seats_held
            for b in db.session.scalars(select(Booking).where(Booking.event_id == event.id))
        )
        assert event.seats_taken == held
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    assert runner.invoke(args=["demo"]).exit_code != 0


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_a_friendly_404_in_the_users_language(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "sv"})
    assert response.status_code == 404
    assert "Sidan finns inte." in response.text
