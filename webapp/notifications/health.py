"""``/healthz`` for load balancers and monitoring: is the database reachable, and how far
behind is the outbox.

``200`` with ``{"status": "ok", "database": "ok", "outbox": {"due": n,
"oldest_due_seconds": s}}``; ``oldest_due_seconds`` is the age of the oldest message that
is due and not yet sent (0 when none is): a growing figure means no scheduler process is
running, or SMTP is failing. ``503`` with ``"database": "unreachable"`` when the
database does not answer, so a balancer takes the host out. It sets no cookie, is never
cached, and is not rate-limited.
"""

from __future__ import annotations

import contextlib

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError

from webapp.db import db, utcnow
from webapp.notifications.models import MessageStatus, OutboxMessage

bp = Blueprint("health", __name__)

_UNSENT = (MessageStatus.PENDING, MessageStatus.SENDING)


@bp.get("/healthz")
def healthz() -> Response:
    now = utcnow()
    try:
        due, oldest = db.session.execute(
            select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status.in_(_UNSENT), OutboxMessage.next_attempt_at <= now
            )
        ).one()
    except (OperationalError, InterfaceError) as error:
        current_app.logger.warning("healthz: database unreachable: %s", error)
        with contextlib.suppress(OperationalError, InterfaceError):
            db.session.rollback()
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code = 503
    else:
        db.session.rollback()
        lag = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
        response = jsonify(
            status="ok",
            database="ok",
            outbox={"due": due, "oldest_due_seconds": round(lag, 1)},
        )
    response.cache_control.no_store = True
    return response
