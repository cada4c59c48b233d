"""Builders of domain objects for tests: each returns flushed rows, the caller commits."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

from webapp.bookings import services as bookings
from webapp.bookings.models import Booking
from webapp.companies.models import SizeClass
from webapp.db import db, utcnow
from webapp.events.models import (
    Event,
    EventKind,
    EventSession,
    EventStatus,
)
from webapp.events.services import sync_span
from webapp.i18n import STOCKHOLM
from webapp.organisations.models import Organisation, PrivacyNotice, Project

_seq = itertools.count(1)


def next_tag() -> int:
    """A number no other call in this process returns (unique names, emails, slugs)."""
    return next(_seq)


def swedish_orgnr(i: int) -> str:
    """A valid Swedish organisation number for any index (Luhn check digit computed)."""
    base = f"55{i:07d}"
    digits = [int(c) for c in base]
    total = 0
    for pos, digit in enumerate(digits):
        value = digit * (2 if pos % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    check = (10 - total % 10) % 10
    number = base + str(check)
    return f"{number[:6]}-{number[6:]}"


def organisation(name: str | None = None, **fields: object) -> Organisation:
    n = next(_seq)
    org = Organisation(name=name or f"Organisation {n}", slug=f"org-{n}", county="14", **fields)
    db.session.add(org)
    db.session.flush()
    db.session.add(
        PrivacyNotice(
            organisation_id=org.id, version=1, text_sv="Integritet v1", text_en="Privacy v1"
        )
    )
    db.session.flush()
    return org


def project(org: Organisation, partners: list[Organisation] = (), **fields: object) -> Project:
    n = next(_seq)
    proj = Project(
        organisation=org,
        name=f"Project {n}",
        slug=f"project-{n}",
        partners=list(partners),
        **fields,
    )
    db.session.add(proj)
    db.session.flush()
    return proj


def event(
    org: Organisation | None = None,
    *,
    capacity: int | None = 10,
    kind: EventKind = EventKind.CONFERENCE,
    status: EventStatus = EventStatus.PUBLISHED,
    starts_at: datetime | None = None,
    sessions: int = 1,
    session_gap: timedelta = timedelta(days=7),
    duration: timedelta = timedelta(hours=3),
    **fields: object,
) -> Event:
    """A published event with ``sessions`` sessions, the first by default at 10:00 Stockholm
    time on the day 30 days from now: at a fixed hour, so that no test's session runs past
    midnight, whatever the time the tests run at."""
    org = org or organisation()
    day = (utcnow() + timedelta(days=30)).astimezone(STOCKHOLM).date()
    start = starts_at or datetime.combine(day, time(10), STOCKHOLM).astimezone(UTC)
    ev = Event(
        organisation=org,
        kind=kind,
        status=status,
        title=fields.pop("title", f"Event {next(_seq)}"),
        capacity=capacity,
        **fields,
    )
    ev.sessions = [
        EventSession(starts_at=start + i * session_gap, ends_at=start + i * session_gap + duration)
        for i in range(sessions)
    ]
    sync_span(ev)
    db.session.add(ev)
    db.session.flush()
    return ev


def company_data(i: int = 0, **fields: object) -> bookings.CompanyData:
    values = dict(
        country="SE",
        org_number=swedish_orgnr(i),
        name=f"Företag {i} AB",
        size_class=SizeClass.SMALL,
        county="14",
    )
    values.update(fields)
    return bookings.CompanyData(**values)


def people(n: int, prefix: str = "person") -> list[bookings.ParticipantData]:
    tag = next(_seq)
    return [
        bookings.ParticipantData(name=f"Deltagare {tag}-{i}", email=f"{prefix}{tag}.{i}@example.se")
        for i in range(n)
    ]


def book(
    ev: Event,
    n: int = 1,
    company: int | None = None,
    *,
    language: str = "sv",
    participants: list[bookings.ParticipantData] | None = None,
    **kwargs: object,
) -> Booking:
    """Register ``n`` participants (new ones, or ``participants``) of test company
    ``company`` through the real service.

    Without ``company`` each call books a company of its own (a company has one active
    booking per event).
    """
    if company is None:
        company = next(_seq)
    return bookings.register(
        ev.id,
        company_data(company),
        bookings.ContactData(name="Kontakt Person", email=f"contact{company}@example.se"),
        participants if participants is not None else people(n),
        consent_version="test",
        language=language,
        **kwargs,
    )


def now() -> datetime:
    return utcnow()
