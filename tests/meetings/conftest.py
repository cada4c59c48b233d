"""Meeting tests: a conference tomorrow-in-a-month from 09:00 to 17:00 (Swedish time)
with meetings enabled, 20-minute slots from 13:00 to 14:00 with two tables, and three
companies with one participant each who filled in a profile; the app sends to the real
SMTP server (tests/smtp.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from tests.smtp import SmtpServer
from webapp.accounts.models import Role, User
from webapp.bookings.models import Booking
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.i18n import STOCKHOLM
from webapp.meetings import services
from webapp.meetings.models import MeetingSlot


@pytest.fixture
def app_config(smtp_server: SmtpServer) -> dict[str, Any]:
    return {**smtp_server.config, "OUTBOX_RETRY_SECONDS": 60, "OUTBOX_MAX_ATTEMPTS": 3}


@dataclass
class MeetingWorld:
    event: Event
    day: date
    organiser: User
    viewer: User
    bookings: list[Booking]
    slots: list[MeetingSlot]

    def person(self, i: int):
        return self.bookings[i].participants[0]


def conference_day() -> date:
    return (utcnow() + timedelta(days=30)).astimezone(STOCKHOLM).date()


def make_world(tables: int = 2, people: int = 3) -> MeetingWorld:
    org = f.organisation("Mötesparken")
    organiser = h.user(org, Role.ORGANISER)
    viewer = h.user(org, Role.VIEWER)
    day = conference_day()
    event = f.event(
        org,
        capacity=None,
        starts_at=datetime.combine(day, time(9, 0), STOCKHOLM),
        duration=timedelta(hours=8),
        title="Affärsdagarna",
    )
    bookings = [f.book(event, 1) for _ in range(people)]
    services.set_enabled(organiser, event.id, True)
    slots = services.generate_slots(organiser, event.id, day, time(13), time(14), 20, tables)
    for i, booking in enumerate(bookings):
        person = booking.participants[0]
        services.save_profile(
            booking,
            person.id,
            services.ProfileData(
                display_name=f"Visad {i}",
                company_name=booking.company.name,
                offers=f"Erbjuder {i}",
                seeks=f"Söker {i}",
            ),
        )
    db.session.commit()
    return MeetingWorld(event, day, organiser, viewer, bookings, slots)


@pytest.fixture
def world(app) -> MeetingWorld:
    return make_world()
