"""Report figures against the hand-made scenario (tests/reports/scenario.py), worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from tests.reports import scenario
from webapp.events.models import EventKind
from webapp.reports import services
from webapp.reports.services import Period

PERIOD = Period(date(2026, 3, 1), date(2026, 4, 30))


@pytest.fixture
def world(app):
    return scenario.build()


def _project_report(world):
    return services.report(services.project_scope(world.organiser, world.project.id), PERIOD)


def _by_key(counts):
    return {c.key: (c.total, c.attended) for c in counts}


def test_companies_supported_by_every_dimension(world):
    fig = _project_report(world).figures
    # A, B and C have confirmed bookings of held events; E cancelled, F's event was
    # cancelled or outside the period, G only waits. B's only participant was a no-show.
    assert (fig.companies_total.total, fig.companies_total.attended) == (3, 2)
    assert _by_key(fig.companies["size"]) == {
        "micro": (1, 1),
        "small": (1, 0),
        "medium": (0, 0),
        "large": (1, 1),
    }
    assert [c.key for c in fig.companies["size"]] == ["micro", "small", "medium", "large"]
    assert _by_key(fig.companies["sme"]) == {"yes": (2, 1), "no": (1, 1)}
    assert _by_key(fig.companies["county"]) == {"14": (1, 1), "01": (1, 0), None: (1, 1)}
    assert _by_key(fig.companies["sni"]) == {"J": (1, 1), "C": (1, 0), None: (1, 1)}
    assert _by_key(fig.companies["country"]) == {"SE": (2, 1), "NO": (1, 1)}


def test_participants_unique_by_email_and_by_gender_and_county(world):
    fig = _project_report(world).figures
    # Anna twice (E1, and E2 with her email in capitals), Bo, Dan, Cecilia.
    assert fig.participations_total == 5
    assert fig.persons_total == 4
    assert {g.key: (g.persons, g.participations) for g in fig.by_gender} == {
        "female": (1, 2),
        "male": (2, 2),
        "other": (0, 0),
        "undisclosed": (0, 0),
        None: (1, 1),
    }
    assert {c.key: (c.persons, c.participations) for c in fig.by_county} == {
        "14": (2, 3),
        "01": (1, 1),
        None: (1, 1),
    }


def test_hours_per_company_event_kind_and_month(world):
    fig = _project_report(world).figures
    # E1: 3 present × 2 h; E2: Anna at the two sessions in the period × 3 h (not the third).
    assert fig.hours_total == 12
    hours = {c.name: (c.participations, c.persons, c.sessions, c.hours) for c in fig.company_hours}
    assert hours == {
        "Alfa Verkstad AB": (3, 2, 4, 10),
        "Caspar Industri AS": (1, 1, 1, 2),
        "Beta Plast AB": (1, 1, 0, 0),
    }
    assert [c.name for c in fig.company_hours][0] == "Alfa Verkstad AB"
    assert {k.kind: k.hours for k in fig.kinds if k.hours} == {
        EventKind.WEBINAR: 6,
        EventKind.WORKSHOP_SERIES: 6,
    }
    assert fig.months == [("2026-03", 360), ("2026-04", 360)]


def test_events_sessions_seats_and_waiting_list(world):
    fig = _project_report(world).figures
    kinds = {k.kind: k for k in fig.kinds}
    assert (kinds[EventKind.WEBINAR].held, kinds[EventKind.WEBINAR].sessions) == (1, 1)
    assert (kinds[EventKind.WORKSHOP_SERIES].held, kinds[EventKind.WORKSHOP_SERIES].sessions) == (
        1,
        2,
    )
    assert kinds[EventKind.CONFERENCE].held == 0
    assert kinds[EventKind.CONFERENCE].cancelled == 1
    assert sum(k.held for k in fig.kinds) == 2
    assert fig.sessions_total == 3
    assert (kinds[EventKind.WEBINAR].seats_offered, kinds[EventKind.WEBINAR].seats_taken) == (4, 3)
    assert (
        kinds[EventKind.WEBINAR].waiting_bookings,
        kinds[EventKind.WEBINAR].waiting_participants,
    ) == (1, 2)
    assert kinds[EventKind.WORKSHOP_SERIES].seats_offered == 10
    events = {e.title: e for e in fig.events}
    assert list(events) == [world.e1.title, world.e2.title]
    e1, e2 = events[world.e1.title], events[world.e2.title]
    assert (e1.sessions, e1.companies, e1.participations, e1.present, e1.hours) == (1, 2, 3, 3, 6)
    assert e1.attendance_rate == 1
    # Two marked sessions in the period, two participations, Anna present at both.
    assert (e2.sessions, e2.marked_sessions, e2.present) == (2, 2, 2)
    assert e2.attendance_rate == 0.5


def test_organisation_report_has_its_own_events_outside_projects_too(world):
    scope = services.organisation_scope(world.organiser, world.home.id)
    fig = services.report(scope, PERIOD).figures
    # The study trip adds Erik of B (present, 8 h): B now attended.
    assert (fig.companies_total.total, fig.companies_total.attended) == (3, 3)
    assert (fig.participations_total, fig.persons_total) == (6, 5)
    assert fig.hours_total == 20
    assert {k.kind: k.held for k in fig.kinds}[EventKind.STUDY_TRIP] == 1
    assert {k.kind: k.seats_offered for k in fig.kinds}[EventKind.STUDY_TRIP] == 0
    assert {k.kind: k.unlimited for k in fig.kinds}[EventKind.STUDY_TRIP] == 1


def test_a_period_without_events_is_all_zeros(world):
    fig = services.report(
        services.project_scope(world.organiser, world.project.id),
        Period(date(2025, 1, 1), date(2025, 12, 31)),
    ).figures
    assert fig.companies_total.total == 0
    assert fig.persons_total == 0 and fig.hours_total == 0
    assert fig.events == [] and fig.company_hours == []
    assert len(fig.months) == 12


def test_participant_sheet_rows(world):
    rows, dates = services.participants(
        services.project_scope(world.organiser, world.project.id), PERIOD
    )
    assert [(r.event, r.company, r.name, r.sessions, r.hours) for r in rows] == [
        (world.e1.title, "Alfa Verkstad AB", "Anna Andersson", 1, 2),
        (world.e1.title, "Alfa Verkstad AB", "Bo Berg", 1, 2),
        (world.e1.title, "Caspar Industri AS", "Dan Dahl", 1, 2),
        (world.e2.title, "Alfa Verkstad AB", "Anna Andersson", 2, 6),
        (world.e2.title, "Beta Plast AB", "Cecilia Carlsson", 0, 0),
    ]
    assert [len(dates[world.e1.id]), len(dates[world.e2.id])] == [1, 2]


def test_periods_check_their_bounds():
    with pytest.raises(services.ReportError):
        Period(date(2026, 5, 1), date(2026, 4, 30))
    with pytest.raises(services.ReportError):
        Period(date(2000, 1, 1), date(2026, 1, 1))
    months = Period(date(2026, 11, 15), date(2027, 2, 1)).months()
    assert [label for label, _end in months] == ["2026-11", "2026-12", "2027-01", "2027-02"]
