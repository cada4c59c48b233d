"""Running in production: structured logs.

With ``LOG_FORMAT=json`` every log record is one JSON object on one line (stderr), and
every request adds one line ``{"msg": "request", "method", "route", "status",
"duration_ms", "bytes", "remote_addr", ...}``. The route is the URL rule
(``/bookings/<token>``), never the path: manage links and private feeds carry their secret
in the path. The dispatcher logs one line per batch (``"msg": "outbox batch"``,
``webapp.notifications.dispatch``). Log collectors (journald, Loki, CloudWatch) read the
lines as they are.

``/healthz`` lives in :mod:`webapp.notifications.health`, which knows the outbox.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

#: LogRecord attributes that are not extras.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def json_logging_enabled(app: Flask | None = None) -> bool:
    value = app.config.get("LOG_FORMAT") if app is not None else os.environ.get("LOG_FORMAT")
    return str(value or "").lower() == "json"


def configure_json_logging() -> None:
    """Route every logger through one JSON handler on stderr (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


_requests = logging.getLogger("traffpunkt.request")


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def log_request(**fields: object) -> None:
    """The request's line: method, route, endpoint, status, duration_ms, bytes, remote_addr."""
    _requests.info("request", extra=fields)


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    log_request(
        method=request.method,
        route=request.url_rule.rule if request.url_rule else None,
        endpoint=request.endpoint,
        status=response.status_code,
        duration_ms=round(duration, 2) if duration is not None else None,
        bytes=response.content_length,
        remote_addr=request.remote_addr,
    )
    return response


def init_app(app: Flask) -> None:
    """JSON logs and the per-request line when ``LOG_FORMAT=json``."""
    if not json_logging_enabled(app):
        return
    configure_json_logging()
    app.logger.handlers.clear()  # propagate to the root's JSON handler
    app.before_request(_start_clock)
    app.after_request(_log_request)
