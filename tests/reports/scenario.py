"""A small hand-made world whose report figures are worked out by hand in the tests.

Project P of the organisation Home, period 2026-03-01 – 2026-04-30:

- E1, a webinar (capacity 4), 2026-03-10 10:00–12:00 Stockholm (2 h). Company A books
  Anna (female) and Bo (male); company C (large, Norway) books Dan (male); company E books
  one person and cancels (must not count); company G books two who do not fit and wait.
  Anna, Bo and Dan are marked present.
- E2, a workshop series (capacity 10), three sessions of 3 h on 2026-04-07, 04-21 and
  05-05 — the last outside the period. A books Anna again (her email typed in capitals);
  B (small) books Cecilia (gender not stated), a no-show at both sessions in the period.
  Anna is present at all three.
- E3, a conference on 2026-03-20 that was cancelled, with a confirmed booking of F.
- E4, a webinar in June (outside the period), booked by F.
- H, a study trip of Home outside the project, 2026-03-15 08:00–16:00 (8 h): B books
  Erik (male), present. It counts in Home's report, not in the project's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests import factories as f
from tests.accounts import helpers as h
from webapp.accounts.models import User
from webapp.bookings import attendance
from webapp.bookings import services as bookings
from webapp.bookings.models import Booking, Gender
from webapp.companies.models import SizeClass
from webapp.db import db
from webapp.events.models import Event, EventKind
from webapp.events.services import cancel_event
from webapp.organisations.models import Organisation, Project, Role

BEFORE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
COMPANIES = {
    "A": dict(
        name="Alfa Verkstad AB", size_class=SizeClass.MICRO, county="14", industry_code="62010"
    ),
    "B": dict(name="Beta Plast AB", size_class=SizeClass.SMALL, county="01", industry_code="C25"),
    "C": dict(
        name="Caspar Industri AS",
        size_class=SizeClass.LARGE,
        county=None,
        country="NO",
        org_number="923609016",
    ),
    "E": dict(name="Epsilon Energi AB", size_class=SizeClass.MEDIUM, county="12"),
    "F": dict(name="Fjärde AB", size_class=SizeClass.SMALL, county="14"),
    "G": dict(name="Gamma Kök AB", size_class=SizeClass.SMALL, county="14"),
}


@dataclass
class Scenario:
    home: Organisation
    project: Project
    organiser: User
    e1: Event
    e2: Event
    trip: Event
    anna_e1: int
    booking_a1: Booking


def _book(event: Event, company: str, people: list[tuple[str, str, Gender | None]]) -> Booking:
    index = ord(company)
    return bookings.register(
        event.id,
        f.company_data(index, **COMPANIES[company]),
        bookings.ContactData(name=f"Kontakt {company}", email=f"kontakt@{company.lower()}.example"),
        [bookings.ParticipantData(name=n, email=e, gender=g) for n, e, g in people],
        consent_version="test",
        now=BEFORE,
    )


def _at(day: str, hour: int) -> datetime:
    """A local Stockholm time (CET in March–April before the 29th, CEST after) in UTC."""
    moment = datetime.fromisoformat(f"{day}T{hour:02d}:00")
    offset = 2 if moment >= datetime(2026, 3, 29, 2) else 1
    return (moment - timedelta(hours=offset)).replace(tzinfo=UTC)


def _mark(user: User, event: Event, index: int, present: list[int]) -> None:
    attendance.mark(user, event, event.sessions[index].id, present)


def build() -> Scenario:
    home = f.organisation("Home")
    partner = f.organisation("Partner")
    project = f.project(home, partners=[partner])
    organiser = h.user(home, Role.ORGANISER)
    e1 = f.event(
        home,
        project=project,
        kind=EventKind.WEBINAR,
        capacity=4,
        starts_at=_at("2026-03-10", 10),
        duration=timedelta(hours=2),
    )
    e2 = f.event(
        home,
        project=project,
        kind=EventKind.WORKSHOP_SERIES,
        capacity=10,
        starts_at=_at("2026-04-07", 10),
        sessions=3,
        session_gap=timedelta(days=14),
        duration=timedelta(hours=3),
    )
    e3 = f.event(home, project=project, kind=EventKind.CONFERENCE, starts_at=_at("2026-03-20", 9))
    e4 = f.event(home, project=project, kind=EventKind.WEBINAR, starts_at=_at("2026-06-02", 9))
    trip = f.event(
        home,
        kind=EventKind.STUDY_TRIP,
        capacity=None,
        starts_at=_at("2026-03-15", 8),
        duration=timedelta(hours=8),
    )

    a1 = _book(
        e1,
        "A",
        [
            ("Anna Andersson", "anna@alfa.example", Gender.FEMALE),
            ("Bo Berg", "bo@alfa.example", Gender.MALE),
        ],
    )
    c1 = _book(e1, "C", [("Dan Dahl", "dan@caspar.example", Gender.MALE)])
    e1_cancelled = _book(e1, "E", [("Eva Ek", "eva@epsilon.example", Gender.FEMALE)])
    bookings.cancel(e1_cancelled.id, now=BEFORE)
    _book(
        e1,
        "G",
        [
            ("Gun Gran", "gun@gamma.example", Gender.FEMALE),
            ("Göran Gran", "goran@gamma.example", Gender.MALE),
        ],
    )
    a2 = _book(e2, "A", [("Anna Andersson", "ANNA@alfa.example", Gender.FEMALE)])
    b2 = _book(e2, "B", [("Cecilia Carlsson", "cecilia@beta.example", None)])
    _book(e3, "F", [("Frida Fors", "frida@fjarde.example", Gender.FEMALE)])
    _book(e4, "F", [("Frida Fors", "frida@fjarde.example", Gender.FEMALE)])
    b_trip = _book(trip, "B", [("Erik Ström", "erik@beta.example", Gender.MALE)])
    db.session.flush()
    cancel_event(e3.id)

    anna_e1, bo = (p.id for p in a1.participants)
    _mark(organiser, e1, 0, [anna_e1, bo, c1.participants[0].id])
    anna_e2 = a2.participants[0].id
    for index in range(3):
        _mark(organiser, e2, index, [anna_e2])
    assert b2.participants  # Cecilia: marked absent at every session by the marks above
    _mark(organiser, trip, 0, [b_trip.participants[0].id])
    db.session.commit()
    return Scenario(home, project, organiser, e1, e2, trip, anna_e1, a1)
