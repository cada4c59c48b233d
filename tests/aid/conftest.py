"""Aid tests: an organisation, a project with a EUR rate and a per-participant value, and
an organiser; the app sends to the real SMTP server (tests/smtp.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from tests.smtp import SmtpServer
from webapp.accounts.models import Role, User
from webapp.aid import services
from webapp.aid.models import AidBasis, AidGrantor
from webapp.db import db
from webapp.organisations.models import Organisation, Project


@pytest.fixture
def app_config(smtp_server: SmtpServer) -> dict[str, Any]:
    return {**smtp_server.config, "OUTBOX_RETRY_SECONDS": 60, "OUTBOX_MAX_ATTEMPTS": 3}


@dataclass
class AidWorld:
    org: Organisation
    project: Project
    organiser: User
    viewer: User


@pytest.fixture
def aid(app) -> AidWorld:
    """A project whose events are aid worth 23 000 SEK per participant at 11.5 SEK/EUR
    (2 000 EUR each)."""
    org = f.organisation("Teknikparken")
    project = f.project(
        org, funder="Europeiska regionala utvecklingsfonden", funder_reference="20201234"
    )
    organiser = h.user(org, Role.ORGANISER)
    viewer = h.user(org, Role.VIEWER)
    db.session.add(AidGrantor(organisation_id=org.id, org_number="556036-0793"))
    db.session.flush()
    services.set_rate(organiser, project.id, date(2020, 1, 1), Decimal("11.5"))
    services.set_project_scheme(organiser, project.id, AidBasis.PER_PARTICIPANT, Decimal("23000"))
    db.session.commit()
    return AidWorld(org, project, organiser, viewer)
