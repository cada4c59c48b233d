"""Notifications: the outbox, email rendering, reminder planning and the dispatcher.

Nothing else imports this package: it listens to the booking and event signals
(:mod:`webapp.signals`) and writes outbox rows in the sender's transaction.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the signal receivers, add the pages and the ``scheduler`` command, and start
    the in-process dispatcher when ``SCHEDULER_IN_PROCESS`` is set (never under TESTING)."""
    from webapp.extensions import limiter
    from webapp.notifications import health, receivers, scheduler, views

    receivers.connect()
    app.register_blueprint(views.bp)
    limiter.exempt(health.bp)
    app.register_blueprint(health.bp)
    app.cli.add_command(scheduler.scheduler_command)
    if app.config.get("SCHEDULER_IN_PROCESS") and not app.testing:
        scheduler.start_in_process(app)
