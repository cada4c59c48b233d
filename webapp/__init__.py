"""Träffpunkt: event and workshop booking for regional business-support organisations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, commands, error pages."""
    app = Flask(__name__, instance_relative_config=True)
    from webapp import config

    config.load(app, test_config)
    app.url_map.converters["int"] = _IdConverter
    _register_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    from webapp import http, operations

    http.init_app(app)
    operations.init_app(app)
    from webapp import notifications

    notifications.init_app(app)
    from webapp import privacy

    privacy.init_app(app)
    from webapp import front

    front.init_app(app)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


class _IdConverter(IntegerConverter):
    """``<int:…>`` in URLs, capped at the databases' integer range.

    Without the cap /events/99999999999999999999 reaches the database and fails there (an
    overflow on SQLite, an out-of-range error on PostgreSQL) instead of being a 404.
    """

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _register_extensions(app: Flask) -> None:
    from webapp import db as database
    from webapp import http_cache, i18n
    from webapp.extensions import csrf, db, limiter, mail, migrate

    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    # The limiter's check must run before CSRF's, or floods of bad posts are never counted.
    limiter.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    i18n.init_app(app)
    http_cache.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from webapp import accessibility
    from webapp.accounts import views as account_views
    from webapp.bookings import admin as booking_admin
    from webapp.bookings import calendar as booking_calendar
    from webapp.bookings import company_page
    from webapp.bookings import views as booking_views
    from webapp.companies import views as company_views
    from webapp.events import admin as event_admin
    from webapp.events import feeds as event_feeds
    from webapp.events import views as event_views
    from webapp.organisations import views as organisation_views
    from webapp.reports import views as report_views

    accessibility.init_app(app)
    app.register_blueprint(event_views.bp)
    app.register_blueprint(booking_views.bp)
    account_views.init_app(app)
    app.register_blueprint(event_admin.bp)
    app.register_blueprint(organisation_views.bp)
    app.register_blueprint(booking_admin.bp)
    app.register_blueprint(event_feeds.bp)
    app.register_blueprint(booking_calendar.bp)
    app.register_blueprint(report_views.bp)
    app.register_blueprint(company_views.bp)
    app.register_blueprint(company_page.bp)
    from webapp.aid import views as aid_views
    from webapp.checkin import views as checkin_views

    aid_views.init_app(app)
    from webapp.feedback import views as feedback_views

    feedback_views.init_app(app)
    app.register_blueprint(checkin_views.bp)
    from webapp.questions import views as question_views

    question_views.init_app(app)
    from webapp.meetings import views as meeting_views

    meeting_views.init_app(app)
    from webapp.directory import views as directory_views

    directory_views.init_app(app)
    from webapp import api

    api.init_app(app)


def _register_cli(app: Flask) -> None:
    from webapp import demo

    app.cli.add_command(demo.demo_command)
    from webapp.accounts import cli as accounts_cli

    app.cli.add_command(accounts_cli.users_command)
    app.cli.add_command(accounts_cli.setup_command)


def _migrations_dir() -> Path:
    """Inside the package, so ``flask db upgrade`` works from an installed wheel too."""
    return Path(__file__).resolve().parent / "migrations"
