"""Organisers' booking pages: attendee lists, exports, selection, attendance."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("booking_admin", __name__, url_prefix="/organisers")
