"""Personal data: retention, a person's copy and erasure (see README, "Personal data").

The top of the package layering: it imports bookings and notifications, nothing imports
it. :func:`init_app` adds its pages, the ``retention`` command and the daily job.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.privacy import retention, views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.public_bp)
    app.cli.add_command(retention.retention_command)
    app.extensions.setdefault("daily_jobs", {})["retention"] = retention.daily_job
