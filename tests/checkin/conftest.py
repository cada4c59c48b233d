"""Check-in tests: a conference running today with two sessions, a confirmed booking of
two, another event of the same organisation; the app sends to the real SMTP server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from tests.smtp import SmtpServer
from webapp.accounts.models import Role, User
from webapp.bookings.models import Booking
from webapp.db import db, utcnow
from webapp.events.models import Event, EventKind
from webapp.events.services import sync_span


@pytest.fixture
def app_config(smtp_server: SmtpServer) -> dict[str, Any]:
    return {**smtp_server.config, "OUTBOX_RETRY_SECONDS": 60, "OUTBOX_MAX_ATTEMPTS": 3}


@dataclass
class Door:
    event: Event
    booking: Booking
    other_event: Event
    other_booking: Booking
    organiser: User
    viewer: User
    stranger: User


@pytest.fixture
def door(app) -> Door:
    org = f.organisation("Teknikparken")
    event = f.event(org, title="Cleantech-konferensen", sessions=2, session_gap=timedelta(days=1))
    booking = f.book(event, 2)
    # Booked a month ahead; now the first session began an hour ago and runs two more,
    # the second is tomorrow.
    start = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    for i, session in enumerate(event.sessions):
        session.starts_at = start + timedelta(days=i)
        session.ends_at = session.starts_at + timedelta(hours=3)
    sync_span(event)
    other_event = f.event(org, kind=EventKind.WORKSHOP_SERIES, sessions=2)
    other_booking = f.book(other_event, 1)
    organiser = h.user(org, Role.ORGANISER)
    viewer = h.user(org, Role.VIEWER)
    stranger = h.user(f.organisation("Annan park"), Role.ORGANISER)
    db.session.commit()
    return Door(event, booking, other_event, other_booking, organiser, viewer, stranger)
