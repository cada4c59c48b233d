"""A small world of organisations, people with roles, an event and a booking."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from webapp.accounts.models import Role, User
from webapp.bookings.models import Booking
from webapp.db import db
from webapp.events.models import Event
from webapp.organisations.models import Organisation, PartnerInvitation, Project


@dataclass
class World:
    home: Organisation
    other: Organisation
    partner: Organisation
    event: Event
    booking: Booking
    people: dict[str, User | None]
    project: Project
    #: Unanswered: the partner invited to a second project, the other into the project.
    invitations: list[PartnerInvitation]


@pytest.fixture
def world(app) -> World:
    home = f.organisation("Teknikparken")
    other = f.organisation("Annan Park")
    partner = f.organisation("Partnerklustret", country="NO")
    project = f.project(home, partners=[partner])
    # A second project of the lead, to which the partner is invited and has not answered.
    second = f.project(home)
    invitations = [
        PartnerInvitation(project=second, organisation=partner),
        PartnerInvitation(project=project, organisation=other),
    ]
    db.session.add_all(invitations)
    event = f.event(home, capacity=10, project=project, sessions=2)
    booking = f.book(event, 2, company=1)
    people = {
        "anonymous": None,
        "viewer": h.user(home, Role.VIEWER),
        "other_organiser": h.user(other, Role.ORGANISER),
        "partner": h.user(partner, Role.VIEWER),
        "partner_admin": h.user(partner, Role.ADMIN),
        "organiser": h.user(home, Role.ORGANISER),
        "admin": h.user(home, Role.ADMIN),
        # A site administrator is no member of any organisation's events by being one.
        "site_admin": h.user(None, is_site_admin=True),
    }
    db.session.commit()
    return World(home, other, partner, event, booking, people, project, invitations)
