"""Organisers' event pages: the dashboard, create, edit, publish, cancel, duplicate."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("event_admin", __name__, url_prefix="/organisers")


@bp.get("/")
def index():  # noqa: ANN201 - a view
    return "ok"
