"""Data the API tests read: events of every kind and state, organisations and projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask

from tests import factories
from webapp.db import db, utcnow
from webapp.events.models import Event, EventKind, EventStatus
from webapp.organisations.models import Organisation, Project


@dataclass
class Catalogue:
    organisation: Organisation
    partner: Organisation
    project: Project
    conference: Event
    webinar: Event
    series: Event
    full: Event
    draft: Event
    cancelled: Event
    past: Event


@pytest.fixture
def catalogue(app: Flask) -> Catalogue:
    """A small published catalogue, plus a draft, a cancelled and a past event."""
    org = factories.organisation("Västkustens Teknikpark", website="https://teknikpark.example.se")
    partner = factories.organisation("Energikontor Mitt")
    project = factories.project(
        org, [partner], funder="Tillväxtverket", funder_reference="20201234"
    )
    soon = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    catalogue = Catalogue(
        organisation=org,
        partner=partner,
        project=project,
        conference=factories.event(
            org,
            project=project,
            title="Cirkulär industri 2027",
            summary="En dag om cirkulära affärsmodeller.",
            venue="Lindholmen Science Park, Lindholmspiren 3",
            city="Göteborg",
            county="14",
            starts_at=soon + timedelta(days=10),
        ),
        webinar=factories.event(
            partner,
            kind=EventKind.WEBINAR,
            title="Energikartläggning på en timme",
            online_url="https://meet.example.se/secret-join-link",
            capacity=None,
            starts_at=soon,
        ),
        series=factories.event(
            org,
            kind=EventKind.WORKSHOP_SERIES,
            project=project,
            title="Workshopserie: digitalisering",
            sessions=3,
            county="12",
            city="Malmö",
            starts_at=soon + timedelta(days=20),
        ),
        full=factories.event(
            org,
            title="Studieresa till Bilbao",
            capacity=2,
            city="Bilbao",
            country="ES",
            kind=EventKind.STUDY_TRIP,
            starts_at=soon + timedelta(days=5),
        ),
        draft=factories.event(org, title="Utkast", status=EventStatus.DRAFT),
        cancelled=factories.event(
            org, title="Inställd träff", status=EventStatus.CANCELLED, cancelled_at=utcnow()
        ),
        past=factories.event(
            org, title="Förra årets mässa", starts_at=utcnow() - timedelta(days=40)
        ),
    )
    db.session.commit()
    factories.book(catalogue.full, 2)
    db.session.commit()
    return catalogue
