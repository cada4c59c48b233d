"""A register world: two organisations, a project with a partner, users of every kind."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from webapp.accounts.models import User
from webapp.db import db
from webapp.events.models import Event
from webapp.organisations.models import Organisation, Role


@dataclass
class Register:
    home: Organisation
    other: Organisation
    partner: Organisation
    event: Event  # the home organisation's, in its project with the partner
    other_event: Event  # the other organisation's
    organiser: User
    viewer: User
    partner_viewer: User
    other_organiser: User


@pytest.fixture
def register(app) -> Register:
    home = f.organisation("Teknikparken")
    other = f.organisation("Annan Park")
    partner = f.organisation("Partnerklustret")
    project = f.project(home, partners=[partner])
    world = Register(
        home=home,
        other=other,
        partner=partner,
        event=f.event(home, project=project, sessions=2),
        other_event=f.event(other),
        organiser=h.user(home, Role.ORGANISER),
        viewer=h.user(home, Role.VIEWER),
        partner_viewer=h.user(partner, Role.VIEWER),
        other_organiser=h.user(other, Role.ORGANISER),
    )
    db.session.commit()
    return world
