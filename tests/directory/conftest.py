"""Directory tests: an organisation with a project and an event, a confirmed booking (so
an invited, unpublished profile), organisers of it and of another organisation; the app
sends to the real SMTP server (tests/smtp.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from tests.smtp import SmtpServer
from webapp.accounts.models import Role, User
from webapp.bookings.models import Booking
from webapp.db import db
from webapp.directory import services
from webapp.directory.models import CompanyProfile
from webapp.events.models import Event
from webapp.organisations.models import Organisation, Project


@pytest.fixture
def app_config(smtp_server: SmtpServer) -> dict[str, Any]:
    return {**smtp_server.config, "OUTBOX_RETRY_SECONDS": 60, "OUTBOX_MAX_ATTEMPTS": 3}


@dataclass
class DirectoryWorld:
    org: Organisation
    other: Organisation
    project: Project
    event: Event
    booking: Booking
    organiser: User
    viewer: User
    other_organiser: User

    @property
    def profile(self) -> CompanyProfile:
        return services.profile_of_company(self.booking.company_id)


def publish(profile: CompanyProfile, **fields: Any) -> CompanyProfile:
    """Save and publish ``profile`` with sensible text (``fields`` override), committed."""
    values = {
        "offers": "Solpaneler och montage",
        "seeks": "Partner i Norge",
        "description": "Vi bygger solparker.",
        "description_en": "We build solar parks.",
        "website": "https://sol.example.se",
        "languages": ["sv", "en"],
        "industry": "F",
        "county": "14",
        "country": "SE",
    }
    values.update(fields)
    services.save(profile, services.ProfileData(**values), publish=True)
    db.session.commit()
    return profile


@pytest.fixture
def world(app) -> DirectoryWorld:
    org = f.organisation("Teknikparken")
    other = f.organisation("Annan Park")
    project = f.project(org)
    project.name = "Gröna kluster"
    event = f.event(org, project=project, title="Klusterdagen")
    booking = f.book(event, 1, company=1)
    people = {
        "organiser": h.user(org, Role.ORGANISER),
        "viewer": h.user(org, Role.VIEWER),
        "other_organiser": h.user(other, Role.ORGANISER),
    }
    db.session.commit()
    return DirectoryWorld(org, other, project, event, booking, **people)
